"""Read the tables of a tagged PDF from its structure tree, as a screen reader does.

``table_problems(path)`` walks every ``Table`` structure element and reports, in words, each place
where the tags do not say what the printed table shows: a row whose children are not all ``TH`` or
``TD`` (WeasyPrint tags a cell it had to wrap as a ``TR`` inside the ``TR``), a table without
exactly one header row, a spanning header cell, or a data cell whose ``/Headers`` do not name
exactly the header cell of its column in the header row and the header cells of its own row.

The text of an element is read from the marked content it owns (its MCIDs on its page), decoded
by pypdf, so the check compares what is printed under a header with what the tags claim.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pypdf import PdfReader

CELLS = ("/TH", "/TD")


def _marked_text(path: Path) -> dict[tuple[int, int], str]:
    """The text of every marked-content sequence: (page object number, MCID) -> text."""
    reader = PdfReader(path)
    texts: dict[tuple[int, int], str] = {}
    for page in reader.pages:
        page_number = page.indirect_reference.idnum if page.indirect_reference else -1
        stack: list[int | None] = []

        def before(operator: bytes, args: Any, *_: Any, stack: list[int | None] = stack) -> None:
            if operator == b"BDC":
                properties = args[1]
                stack.append(properties.get("/MCID") if hasattr(properties, "get") else None)
            elif operator == b"BMC":
                stack.append(None)
            elif operator == b"EMC" and stack:
                stack.pop()

        def text(
            value: str, *_: Any, stack: list[int | None] = stack, page_number: int = page_number
        ) -> None:
            mcid = next((m for m in reversed(stack) if m is not None), None)
            if mcid is not None:
                key = (page_number, int(mcid))
                texts[key] = texts.get(key, "") + value

        page.extract_text(visitor_operand_before=before, visitor_text=text)
    return texts


def _kids(element: Any) -> list[Any]:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _is_element(node: Any) -> bool:
    return isinstance(node, pikepdf.Dictionary) and "/S" in node


def _tag(element: Any) -> str:
    return str(element.get("/S"))


@dataclass
class StructureTables:
    """The tables of one PDF, with each element's printed text."""

    path: Path
    texts: dict[tuple[int, int], str] = field(init=False)
    tables: list[Any] = field(init=False)
    by_id: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self._pdf = pikepdf.open(self.path)
        self.texts = _marked_text(self.path)
        self.tables, self.by_id = [], {}
        self._collect(self._pdf.Root.StructTreeRoot)

    def _collect(self, node: Any) -> None:
        for kid in _kids(node):
            if not _is_element(kid):
                continue
            if "/ID" in kid:
                self.by_id[bytes(kid.ID).decode("latin-1")] = kid
            if _tag(kid) == "/Table":
                self.tables.append(kid)
            self._collect(kid)

    def text(self, element: Any, page: int | None = None) -> str:
        """The printed text of ``element`` and its descendants, white space collapsed."""
        if "/Pg" in element:
            page = element.Pg.objgen[0]
        parts = []
        for kid in _kids(element):
            if isinstance(kid, int):
                parts.append(self.texts.get((page or -1, kid), ""))
            elif _is_element(kid):
                parts.append(self.text(kid, page))
            elif isinstance(kid, pikepdf.Dictionary) and "/MCID" in kid:
                kid_page = kid.Pg.objgen[0] if "/Pg" in kid else page
                parts.append(self.texts.get((kid_page or -1, int(kid.MCID)), ""))
        return " ".join(" ".join(parts).split())

    def caption(self, table: Any) -> str:
        captions = [kid for kid in _kids(table) if _is_element(kid) and _tag(kid) == "/Caption"]
        return self.text(captions[0])[:70] if captions else "(a table without a caption)"


def _rows(element: Any) -> Iterator[tuple[str, Any]]:
    """Each ``TR`` of a table with the section it is in (``/THead``, ``/TBody``...)."""
    for kid in _kids(element):
        if not _is_element(kid):
            continue
        if _tag(kid) == "/TR":
            yield _tag(element), kid
        elif _tag(kid) in ("/THead", "/TBody", "/TFoot"):
            yield from _rows(kid)


def table_problems(path: Path) -> tuple[int, list[str]]:
    """How many tables the PDF's structure tree holds, and every problem with their semantics."""
    document = StructureTables(path)
    problems: list[str] = []
    for table in document.tables:
        name = document.caption(table)
        rows = list(_rows(table))
        header_rows = [row for section, row in rows if section == "/THead"]
        if len(header_rows) != 1:
            problems.append(f"{name}: {len(header_rows)} header rows, not 1")
            continue
        cells_of: dict[int, list[Any]] = {}
        for _, row in rows:
            cells = [kid for kid in _kids(row) if _is_element(kid)]
            wrong = sorted({_tag(cell) for cell in cells} - set(CELLS))
            if wrong:
                problems.append(f"{name}: a row holds {', '.join(wrong)}, not only TH and TD")
            cells_of[id(row)] = [cell for cell in cells if _tag(cell) in CELLS]
            for cell in cells_of[id(row)]:
                attributes = cell.get("/A", {})
                if "/ColSpan" in attributes or "/RowSpan" in attributes:
                    problems.append(f"{name}: the cell '{document.text(cell)}' spans cells")
        column_heads = [document.text(cell) for cell in cells_of[id(header_rows[0])]]
        for section, row in rows:
            if section == "/THead":
                continue
            cells = cells_of[id(row)]
            row_heads = [document.text(cell) for cell in cells if _tag(cell) == "/TH"]
            for column, cell in enumerate(cells):
                if _tag(cell) != "/TD":
                    continue
                expected = sorted(row_heads + column_heads[column : column + 1])
                ids = cell.get("/A", {}).get("/Headers", [])
                named = sorted(
                    document.text(document.by_id[key]) if key in document.by_id else f"?{key}"
                    for key in (bytes(value).decode("latin-1") for value in ids)
                )
                if named != expected:
                    problems.append(
                        f"{name}: the cell '{document.text(cell)}' names {named}, not {expected}"
                    )
    return len(document.tables), problems
