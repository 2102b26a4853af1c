"""Tiny canonical source tables built inline, so that each test shows the data it reasons about.

Columns a test does not mention take a neutral default: booleans false, optional values missing.
"""

from __future__ import annotations

import pandas as pd

from vcc.transforms.schema import CANONICAL

DTYPES = {"datetime": "datetime64[ns]", "bool": "boolean", "int": "Int64", "float": "Float64"}


def typed_frame(source: str, table: str, rows: list[dict]) -> pd.DataFrame:
    spec = CANONICAL[source][table]
    columns = {}
    for column in spec.columns:
        values = [
            row.get(column.name, False if column.kind == "bool" and not column.nullable else None)
            for row in rows
        ]
        if column.kind == "datetime":
            columns[column.name] = pd.to_datetime(pd.Series(values, dtype="object"))
        else:
            columns[column.name] = pd.Series(values, dtype=DTYPES.get(column.kind, "string"))
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))


def source_tables(**tables: list[dict]) -> dict[tuple[str, str], pd.DataFrame]:
    """All canonical tables, empty unless given as ``<source>__<table>=[rows]``; the optional
    source ``feedback`` (CONTRACT.md §7.3) only when one of its tables is given."""
    given = {tuple(name.split("__")): rows for name, rows in tables.items()}
    built = {}
    for source, defs in CANONICAL.items():
        if source == "feedback" and not any(key[0] == source for key in given):
            continue
        for table in defs:
            built[(source, table)] = typed_frame(source, table, given.pop((source, table), []))
    assert not given, f"unknown tables {list(given)}"
    return built
