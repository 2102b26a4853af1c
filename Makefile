# vcc: the two commands a fresh machine needs are `make demo` and `make test`.
# Both create the environment first (.venv, from uv.lock) with nothing but Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
STAMP  := $(VENV)/.synced
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup demo test lint format bench clean

setup: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

# --compile-bytecode: the modules are compiled once here, not on every command where Python may not
# write its cache (PYTHONDONTWRITEBYTECODE, a read-only install): SQLAlchemy alone takes 0.65 s.
$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $(STAMP)

demo: setup  ## Generate the synthetic sources if absent and report the last complete quarter
	$(VENV)/bin/vcc demo

test: setup  ## Run the whole test suite
	$(VENV)/bin/python -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy -p vcc

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup  ## Run every benchmark and write one table, benchmarks/results/bench.md (README "Performance")
	$(VENV)/bin/python benchmarks/bench_all.py

clean:
	rm -rf $(VENV) $(TOOLS) out demo-data
