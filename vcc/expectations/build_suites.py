"""Write one Great Expectations suite per canonical table, ``expectations/<source>.<table>.json``.

The suites are generated from ``transforms/schema.py`` so that they stay in step with it, and the
JSON is committed so that an analyst can read every rule without reading Python. To change a rule,
change ``transforms/schema.py`` or this script and run it again (``python
expectations/build_suites.py``); a test fails while the JSON on disk differs from what this script
writes.

Each expectation's ``meta`` says what happens when it fails:

- ``severity``: ``critical`` (the table is unusable and the run stops) or ``row`` (the failing rows
  are quarantined with ``reason`` and the run goes on);
- ``reason``: the text written beside a quarantined row and counted in ``data-quality.csv``;
- ``notes``: the rule in plain English.

Two values are given at run time through Great Expectations' ``$PARAMETER`` placeholders:
``extracted_at`` (the moment the extract was taken, local time) and ``districts`` (the configured
district list).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vcc.transforms.schema import CANONICAL, Table

SUITES_DIR = Path(__file__).resolve().parent

# Plausible ranges, inclusive: values outside them are data-entry errors, not facts.
PLAUSIBLE_RANGES: dict[str, tuple[int, int]] = {
    "age_at_offence": (0, 120),
    "sentence_months": (0, 1200),  # 100 years: longer terms are recorded as life, not months
}

# A column checked against a run-time list rather than a list in the schema.
RUN_TIME_VALUE_SETS: dict[str, str] = {"district": "districts"}

# Dates of planned events, which may lie after the extract was taken: a hearing is listed, and a
# release planned, before it happens (Rights 8 and 11 are about telling the victim in advance).
PLANNED_DATES = frozenset({"hearing_at", "release_at"})


def _expectation(
    kind: str, kwargs: dict[str, Any], severity: str, reason: str, notes: str
) -> dict[str, Any]:
    return {
        "type": kind,
        "kwargs": kwargs,
        "meta": {"severity": severity, "reason": reason, "notes": notes},
    }


def table_expectations(table: Table) -> list[dict[str, Any]]:
    """The rules of CONTRACT.md §2 for one table, critical ones first."""
    return [
        _columns_present(table),
        *_required_values(table),
        *_value_sets(table),
        _no_duplicates(table),
        *_date_order(table),
        *_plausible_ranges(table),
        *_not_after_the_extract(table),
    ]


def _columns_present(table: Table) -> dict[str, Any]:
    return _expectation(
        "expect_table_columns_to_match_set",
        {"column_set": table.column_names, "exact_match": False},
        "critical",
        "missing columns",
        "Every canonical column is present (extra columns are ignored). Without one the "
        "table cannot be used, so the run stops.",
    )


def _required_values(table: Table) -> list[dict[str, Any]]:
    return [
        _expectation(
            "expect_column_values_to_not_be_null",
            {"column": column.name},
            "row",
            f"missing {column.name}",
            f"Every row has a {column.name}.",
        )
        for column in table.columns
        if not column.nullable
    ]


def _value_sets(table: Table) -> list[dict[str, Any]]:
    """Coded columns hold one of their codes: the schema's list, or a list given at run time."""
    rules = []
    for column in table.columns:
        if column.name in RUN_TIME_VALUE_SETS:
            parameter = RUN_TIME_VALUE_SETS[column.name]
            rules.append(
                _expectation(
                    "expect_column_values_to_be_in_set",
                    {"column": column.name, "value_set": {"$PARAMETER": parameter}},
                    "row",
                    f"{column.name} not a configured {column.name}",
                    f"{column.name} is one of the configured {parameter} (vcc.toml).",
                )
            )
        elif column.allowed is not None:
            rules.append(
                _expectation(
                    "expect_column_values_to_be_in_set",
                    {"column": column.name, "value_set": list(column.allowed)},
                    "row",
                    f"{column.name} not an allowed value",
                    f"{column.name} is one of the codes CONTRACT.md §2 lists"
                    + (" (or empty)." if column.nullable else "."),
                )
            )
    return rules


def _no_duplicates(table: Table) -> dict[str, Any]:
    """A keyed table's key is unique; a table without a key repeats no whole row."""
    if table.unique_together:
        columns = list(table.unique_together)
        return _expectation(
            "expect_compound_columns_to_be_unique",
            {"column_list": columns, "ignore_row_if": "never"},
            "row",
            f"duplicate {' and '.join(columns)}",
            f"No two rows share {' and '.join(columns)}: a second answer to one question of "
            "one response would count twice. The first is kept and later copies are "
            "quarantined.",
        )
    if table.key is not None:
        return _expectation(
            "expect_column_values_to_be_unique",
            {"column": table.key},
            "row",
            f"duplicate {table.key}",
            f"{table.key} identifies a row. The first row with a value is kept and later "
            "copies are quarantined.",
        )
    return _expectation(
        "expect_compound_columns_to_be_unique",
        {"column_list": table.column_names, "ignore_row_if": "never"},
        "row",
        "duplicate row",
        "No row repeats an earlier one in every column: a doubled delivery would count "
        "an event, decision or outcome twice. The first is kept and later copies are "
        "quarantined.",
    )


def _date_order(table: Table) -> list[dict[str, Any]]:
    return [
        _expectation(
            "expect_column_pair_values_a_to_be_greater_than_b",
            {
                "column_A": later,
                "column_B": earlier,
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "row",
            f"{later} before {earlier}",
            f"{later} is not before {earlier} (rows where either is empty are not checked).",
        )
        for earlier, later in table.date_order
    ]


def _plausible_ranges(table: Table) -> list[dict[str, Any]]:
    rules = []
    for column in table.columns:
        if column.name in PLAUSIBLE_RANGES:
            low, high = PLAUSIBLE_RANGES[column.name]
            rules.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    {"column": column.name, "min_value": low, "max_value": high},
                    "row",
                    f"{column.name} outside {low}..{high}",
                    f"A recorded {column.name} lies between {low} and {high}.",
                )
            )
    return rules


def _not_after_the_extract(table: Table) -> list[dict[str, Any]]:
    """A recorded date is not in the future (planned dates excepted: PLANNED_DATES)."""
    return [
        _expectation(
            "expect_column_values_to_be_between",
            {"column": column.name, "max_value": {"$PARAMETER": "extracted_at"}},
            "row",
            f"{column.name} after the extract was taken",
            f"{column.name} is not after the moment the extract was taken: a future "
            "date is a recording error.",
        )
        for column in table.columns
        if column.kind == "datetime" and column.name not in PLANNED_DATES
    ]


def build_suite(source: str, table: Table) -> dict[str, Any]:
    """One suite in Great Expectations 1.x's JSON form (name, expectations, meta, notes)."""
    return {
        "name": f"{source}.{table.name}",
        "expectations": table_expectations(table),
        "meta": {"source": source, "table": table.name},
        "notes": (
            f"Checks of CONTRACT.md §2 for {source} {table.name}, generated by "
            "expectations/build_suites.py from transforms/schema.py. Run-time parameters: "
            "extracted_at, districts. An empty table is legal (a quiet quarter)."
        ),
    }


def suite_files() -> dict[str, str]:
    """File name -> JSON text of every suite, exactly as written to disk."""
    return {
        f"{source}.{name}.json": json.dumps(build_suite(source, table), indent=2) + "\n"
        for source, tables in CANONICAL.items()
        for name, table in tables.items()
    }


def main() -> None:
    for file_name, text in suite_files().items():
        (SUITES_DIR / file_name).write_text(text, encoding="utf-8")
        print(f"wrote expectations/{file_name}")


if __name__ == "__main__":
    main()
