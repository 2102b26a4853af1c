# vcc: the two commands a fresh machine needs are `make demo` and `make test`.
# Both create the environment first (.venv, from uv.lock) with nothing but Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
STAMP  := $(VENV)/.synced
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup demo test test-fast lint format bench clean

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

# Two worker processes (xdist, one per core of the 2-core machine CI runs on); the tests of one
# module stay on one worker (--dist loadfile), so a module's shared run is made once.
# TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2

test: setup  ## Run the whole test suite
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The unit tests, each property test with a tenth of its examples (VCC_TESTS_FAST, tests/conftest.py):
# no Prefect server, wheel, browser, database server, whole-report PDF or vcc process of its own.
test-fast: setup  ## The unit tests only, quickly (make test runs everything)
	VCC_TESTS_FAST=1 $(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile \
	  -m "not (flow or packaging or browser or database or slow)"

lint: setup  ## ruff, ruff format and mypy over the package and the tests (as .pre-commit-config.yaml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy -p vcc -p tests

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup  ## Run every benchmark and write one table, benchmarks/results/bench.md (README "Performance")
	$(VENV)/bin/python benchmarks/bench_all.py

clean:
	rm -rf $(VENV) $(TOOLS) out demo-data
