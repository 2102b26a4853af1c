"""The corpus of bad input (``tests/fixtures/bad-input/<case>/``): each case is a police folder
holding the damaged files and ``expected.toml``, which says what ingestion must make of them:

- ``outcome = "refused"`` and ``message``: extraction or validation stops with that one line
  (``{folder}`` stands for the folder the case is read from);
- ``outcome = "read"``, ``[expected.quarantined.<table>]`` (row -> reason, every row quarantined)
  and ``[expected.accepted.<table>]`` (a column -> its accepted values, in order).

``source`` holds the police source's settings (an encoding). Tables a case does not hold are
header only, a quiet quarter. Each case runs through the real extract, coerce and validate.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.flows.sources.test_bad_inputs import one_line_error, police, validated
from vcc.transforms.schema import CANONICAL

CORPUS = FIXTURES / "bad-input"
CASES = sorted(path.name for path in CORPUS.iterdir())


def case_folder(case: str, tmp_path: Path) -> Path:
    folder = tmp_path / "police"
    shutil.copytree(CORPUS / case, folder, ignore=shutil.ignore_patterns("expected.toml"))
    for name, table in CANONICAL["police"].items():
        if not table.optional and not list(folder.glob(f"{name}.*")):
            (folder / f"{name}.csv").write_text(",".join(table.column_names) + "\n")
    return folder


def test_the_corpus_covers_every_class_of_bad_input_the_issue_lists() -> None:
    assert set(CASES) >= {
        "misaligned-first-row", "misaligned-later-row", "placeholder-dates",
        "formula-without-value", "header-only-parent", "injection-text", "latin-1-undeclared",
        "utf-8-bom", "utf-16", "duplicate-header", "empty-file", "binary-junk", "huge-field",
        "nul-bytes", "wrong-delimiter", "mixed-date-formats",
    }  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_bad_input_has_its_stated_outcome(case, tmp_path: Path) -> None:
    stated = tomllib.loads((CORPUS / case / "expected.toml").read_text(encoding="utf-8"))
    expected = stated["expected"]
    folder = case_folder(case, tmp_path)
    source = police(folder, **stated.get("source", {}))

    if expected["outcome"] == "refused":
        assert one_line_error(source) == expected["message"].format(folder=folder)
        return

    assert expected["outcome"] == "read"
    _, outcome = validated(source)
    quarantined = {
        table: {int(row): reason for row, reason in rows.items()}
        for table, rows in expected.get("quarantined", {}).items()
    }
    assert {
        key[1]: reasons.to_dict() for key, reasons in outcome.rejected.items() if len(reasons)
    } == quarantined
    for table, columns in expected["accepted"].items():
        for column, values in columns.items():
            assert outcome.accepted[("police", table)][column].tolist() == values
