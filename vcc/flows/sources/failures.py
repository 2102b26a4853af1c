"""Which rows fail which rule, and why: the findings of ``validate.py``'s stage, one ``Failure``
per rule (its ``check``, counted in ``data-quality.csv``, and the ``reason`` written beside each of
its rows in the quarantine). Critical failures stop the run; the others quarantine rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vcc.flows.sources import date_text
from vcc.flows.sources.suites import RuleResult, TableKey
from vcc.transforms.schema import CANONICAL, IDENTIFIER_MAX_LENGTH, LINKS

# How a linkage reason names the parent a row failed to link to.
_PARENT_NAMES: dict[TableKey, str] = {
    ("police", "crimes"): "a police crime",
    ("police", "victims"): "a police victim",
    ("cps", "cases"): "a CPS case",
    ("feedback", "responses"): "a feedback response",
}
# Rules whose failing rows are copies of one another: the first copy is kept.
UNIQUENESS = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")
# What a value of each schema kind should have been, for an unparseable value's reason.
_KIND_WORDS = {
    "datetime": "a date",
    "bool": "a boolean",
    "int": "a whole number",
    "float": "a number",
    "str": "text",
}


@dataclass(frozen=True)
class Failure:
    """Rows failing one rule: ``reason`` is written beside each row, ``check`` counted."""

    check: str
    detail: str
    rows: pd.Index
    reason: str = ""

    @property
    def row_reason(self) -> str:
        return self.reason or self.check


def critical_failures(key: TableKey, results: list[RuleResult]) -> list[str]:
    """``source.table: what failed`` for each failed critical rule, or for a row rule that
    could not be evaluated at all (then no row can be trusted)."""
    name = ".".join(key)
    messages = []
    for rule in results:
        if rule.success:
            continue
        if rule.meta.get("severity") == "critical":
            missing = rule.result.get("details", {}).get("mismatched", {}).get("missing")
            if rule.kind == "expect_table_columns_to_match_set" and missing:
                messages.append(f"{name}: missing column(s) {', '.join(sorted(missing))}")
            else:
                messages.append(f"{name}: {rule.meta.get('reason', rule.kind)}")
    if messages:
        return messages  # rules on a missing column fail too; the cause is already named
    return [
        f"{name}: check '{rule.meta.get('reason', rule.kind)}' could not be evaluated "
        f"({rule.kind} on {columns_named(rule.kwargs)})"
        for rule in results
        if not rule.success and "unexpected_index_list" not in rule.result
    ]


def row_failures(
    key: TableKey,
    frame: pd.DataFrame,
    results: list[RuleResult],
    problems: pd.DataFrame | None,
) -> list[Failure]:
    parse_failures, unparseable = _parse_failures(key, problems)
    failures = list(parse_failures)
    for rule in results:
        if rule.success or rule.meta.get("severity") != "row":
            continue
        rows = pd.Index(rule.result["unexpected_index_list"], dtype=frame.index.dtype)
        if rule.kind in UNIQUENESS:
            # Great Expectations flags every copy; keep the first, quarantine the later ones.
            columns = rule.kwargs.get("column_list") or [rule.kwargs["column"]]
            copies = frame.loc[rows.sort_values(), columns]
            rows = copies.index[copies.duplicated(keep="first")]
        elif rule.kind == "expect_column_values_to_not_be_null":
            # An unparseable value is already quarantined under its own, more useful reason.
            rows = rows.difference(unparseable.get(rule.kwargs["column"], pd.Index([])))
        if len(rows):
            failures.append(
                Failure(
                    rule.meta.get("reason", rule.kind),
                    f"{rule.kind} on {columns_named(rule.kwargs)}",
                    rows,
                )
            )
    return failures


def _parse_failures(
    key: TableKey, problems: pd.DataFrame | None
) -> tuple[list[Failure], dict[str, pd.Index]]:
    """Coerce's problems (row, column, value, reason, why), one failure per column and cause
    (``why``: a partial date, day and month swapped, ...). Coerce's own reason quotes the raw
    value, so the reason here is built from the column's kind and the cause instead."""
    if problems is None or problems.empty:
        return [], {}
    table = CANONICAL[key[0]][key[1]]
    unparseable = {
        str(column): pd.Index(group["row"].unique())
        for column, group in problems.groupby("column", sort=False)
    }
    if "why" not in problems:
        problems = problems.assign(why="")
    failures = []
    for (column, why), group in problems.fillna({"why": ""}).groupby(["column", "why"], sort=False):
        expected = _KIND_WORDS[table.column(str(column)).kind]
        if why.startswith("no "):  # date_text: a partial date, or one short of its precision
            name, told = f"partial {column}", f"partial {column}: {why}"
        elif why and why != date_text.NOT_A_DATE:
            name, told = f"unparseable {column}", f"unparseable {column}: {why}"
        else:
            name, told = f"unparseable {column}", f"unparseable {column}: not {expected}"
        failures.append(
            Failure(name, f"a value present but not {expected}", pd.Index(group["row"].unique()),
                    reason=told)
        )  # fmt: skip
    return failures, unparseable


def implausible_dates(key: TableKey, frame: pd.DataFrame, earliest: date) -> list[Failure]:
    """Rows with a date before ``earliest`` (``[validation] earliest_date``): a system's
    placeholder for "unknown", such as 1900-01-01, which would otherwise count as a date."""
    failures = []
    bound = pd.Timestamp(earliest)
    for column in CANONICAL[key[0]][key[1]].columns:
        if column.kind != "datetime" or column.name not in frame:
            continue
        rows = frame.index[(frame[column.name] < bound).fillna(False).to_numpy(bool)]
        if len(rows):
            failures.append(
                Failure(
                    f"implausible {column.name}",
                    f"a date before {earliest.isoformat()} ([validation] earliest_date)",
                    rows,
                    reason=f"implausible {column.name}: before {earliest.isoformat()}",
                )
            )
    return failures


def overlong_identifiers(key: TableKey, frame: pd.DataFrame) -> list[Failure]:
    """Rows with an identifier longer than ``IDENTIFIER_MAX_LENGTH``: no agency's reference is
    that long, so it is damage, and the warehouse could not store it."""
    failures = []
    for column in CANONICAL[key[0]][key[1]].columns:
        if not column.is_identifier or column.name not in frame:
            continue
        too_long = frame[column.name].str.len() > IDENTIFIER_MAX_LENGTH
        rows = frame.index[too_long.fillna(False).to_numpy(bool)]
        if len(rows):
            failures.append(
                Failure(
                    f"overlong {column.name}",
                    f"an identifier longer than {IDENTIFIER_MAX_LENGTH} characters",
                    rows,
                    reason=f"overlong {column.name}: more than {IDENTIFIER_MAX_LENGTH} characters",
                )
            )
    return failures


def unusable_links(link_rows: list[tuple[Any, ...]], max_failure: float) -> list[str]:
    """A link failing for more than ``max_failure`` of its rows (``[validation]
    max_linkage_failure``): the parent table is unusable, and so is every figure from the child."""
    messages = []
    for source, table, column, target, rows, linked, _ in link_rows:
        failed = rows - linked
        if rows and failed / rows > max_failure:
            messages.append(
                f"{source}.{table}: {failed} of {rows} rows ({failed / rows:.0%}) do not link "
                f"on {column} to {target}, more than the {max_failure:.0%} allowed "
                "([validation] max_linkage_failure)"
            )
    return messages


def link_failures(
    key: TableKey, frame: pd.DataFrame, accepted: Mapping[TableKey, pd.DataFrame]
) -> tuple[list[Failure], list[tuple[Any, ...]]]:
    """Rows whose link value is not among the parent's accepted rows (CONTRACT.md §2)."""
    failures, rows = [], []
    for (source, table, column), (parent_source, parent_table, parent_column) in LINKS:
        parent = (parent_source, parent_table)
        if (source, table) != key or parent not in accepted:
            continue
        values = frame[column]
        present = values.notna()  # a missing value is already quarantined as missing
        linked = present & _is_in(values, accepted[parent][parent_column])
        unlinked = frame.index[present & ~linked]
        if len(unlinked):
            failures.append(
                Failure(
                    f"linkage: {column} not {_PARENT_NAMES.get(parent, '.'.join(parent))}",
                    f"{column} in accepted {parent_source}.{parent_table}.{parent_column}",
                    unlinked,
                )
            )
        n_rows, n_linked = int(present.sum()), int(linked.sum())
        rate = round(n_linked / n_rows, 4) if n_rows else None
        target = f"{parent_source}.{parent_table}.{parent_column}"
        rows.append((source, table, column, target, n_rows, n_linked, rate))
    return failures, rows


def _is_in(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """``values.isin(keys)`` computed by Arrow: pandas' ``isin`` on Arrow-backed strings builds
    one Python scalar per key, which costs seconds per link on a run's 64k victims."""
    left = pa.array(values, from_pandas=True).cast(pa.large_string())
    right = pa.array(keys, from_pandas=True).cast(pa.large_string())
    found = pc.fill_null(pc.is_in(left, value_set=right), False)
    return found.to_numpy(zero_copy_only=False)


def reasons_by_row(failures: list[Failure], index: pd.Index) -> pd.Series:
    """Row label -> every reason for that row, in rule order, joined with "; "."""
    parts = [pd.Series(f.row_reason, index=f.rows, dtype="str") for f in failures if len(f.rows)]
    if not parts:
        return pd.Series([], index=index[:0], dtype="str", name="reason")
    reasons = pd.concat(parts)
    several = reasons.index.duplicated(keep=False)
    if several.any():  # only rows failing two rules or more need joining, most fail one
        joined = reasons[several].groupby(level=0, sort=False).agg("; ".join)
        reasons = pd.concat([reasons[~several], joined])
    reasons = reasons.sort_index()
    reasons.name = "reason"
    return reasons


def columns_named(kwargs: Mapping[str, Any]) -> str:
    names: Iterable[str] = [
        kwargs[name] for name in ("column", "column_A", "column_B") if name in kwargs
    ]
    return ", ".join(names) or "the table"
