"""How much of each page of a PDF is used: the lowest point any text or drawing reaches between
the page's top and bottom margins, read from the page's own content stream with pikepdf (text
positions, path points, rectangles and the boxes of form XObjects such as the charts, each
through the transformation in force), as a share of the height between the margins."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pikepdf

MM = 72 / 25.4


def _multiply(a: list[float], b: list[float]) -> list[float]:
    """The PDF matrix product a × b of [a b c d e f] matrices."""
    return [
        a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5],
    ]  # fmt: skip


def _y(matrix: list[float], x: float, y: float) -> float:
    return matrix[1] * x + matrix[3] * y + matrix[5]


def _numbers(operands: Iterable[Any]) -> list[float]:
    found = []
    for value in operands:
        try:
            found.append(float(value))
        except (TypeError, ValueError):
            continue  # a name, a string, an array of glyphs
    return found


def _marks(page: pikepdf.Page) -> list[float]:
    """The heights (PDF points from the page's foot) of everything the page draws."""
    identity = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    ctm, stack, found = identity, [], []
    text_line = identity
    xobjects: Any = page.resources.get("/XObject", {})
    for instruction in pikepdf.parse_content_stream(page):
        operands, operator = instruction.operands, instruction.operator
        op = str(operator)
        numbers = _numbers(operands)
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop() if stack else identity
        elif op == "cm":
            ctm = _multiply(numbers, ctm)
        elif op == "BT":
            text_line = identity
        elif op == "Tm":
            text_line = numbers
        elif op in ("Td", "TD"):
            text_line = _multiply([1, 0, 0, 1, numbers[0], numbers[1]], text_line)
        elif op in ("Tj", "TJ", "'", '"'):
            found.append(_y(_multiply(text_line, ctm), 0, 0))
        elif op in ("m", "l"):
            found.append(_y(ctm, numbers[0], numbers[1]))
        elif op == "re":
            x, y, w, h = numbers
            found += [_y(ctm, x, y), _y(ctm, x, y + h)]
        elif op == "Do":
            xobject = xobjects.get(str(operands[0]))
            if xobject is None or xobject.get("/Subtype") != "/Form":
                continue
            matrix = [float(v) for v in xobject.get("/Matrix", identity)]
            x0, y0, x1, y1 = (float(v) for v in xobject["/BBox"])
            placed = _multiply(matrix, ctm)
            found += [_y(placed, x, y) for x in (x0, x1) for y in (y0, y1)]
    return found


def page_fill(pdf: Path, margin_mm: float = 22) -> list[float]:
    """For each page, the share of the height between its top and bottom margins that its
    content uses, from the top margin down to the lowest mark above the bottom margin (the
    running header and footer, in the margins, are not counted)."""
    shares = []
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            height = float(page.mediabox[3]) - float(page.mediabox[1])
            top, bottom = height - margin_mm * MM, margin_mm * MM
            inside = [y for y in _marks(page) if bottom - 1 <= y <= top + 1]
            shares.append((top - min(inside)) / (top - bottom) if inside else 0.0)
    return shares


def part_starts(
    pdf: Path, ids: Iterable[str], margin_mm: float = 22
) -> dict[str, tuple[int, bool]]:
    """For each element id among the PDF's named destinations (WeasyPrint names one for every
    id), the page it is on (from 1) and whether nothing is drawn above it on that page between
    the top margin and its top, that is, whether it starts its page."""
    found = {}
    with pikepdf.open(pdf) as document:
        destinations = pikepdf.NameTree(document.Root.Names.Dests)
        pages: dict[Any, int] = {
            page.objgen: number for number, page in enumerate(document.pages, 1)
        }
        for name in ids:
            if name not in destinations:
                continue
            target: Any = destinations[name]  # [page, /XYZ, left, top, zoom]
            number = pages[target[0].objgen]
            page = document.pages[number - 1]
            top = float(page.mediabox[3]) - margin_mm * MM
            above = [y for y in _marks(page) if float(target[3]) + 1 < y <= top + 1]
            found[name] = (number, not above)
    return found
