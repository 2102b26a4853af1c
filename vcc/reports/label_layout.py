"""Direct labels placed by the chart's own geometry: a label is tried at each of its candidate
places in turn and kept at the first where its box (with its white ground) meets no other text
and no data mark (a line, a marker, a band, a bar), as matplotlib lays them out at print size.

Positions are not guessed from character counts: every box is measured by the renderer that lays
the figure out (``Text.get_window_extent``), and every mark is tested as the path it draws
(``Path.intersects_bbox``). A panel with no free place for its labels gives them more room: its
value axis is widened a step at a time (``widen``), the data keeping their place relative to one
another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.path import Path
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Affine2D, Bbox

GAP = 1.0  # pixels (points at 72 dpi) two boxes, or a box and a mark, keep between them


def renderer_of(figure: Figure) -> RendererBase:
    """The renderer that lays ``figure`` out (an Agg canvas: the same fonts as the SVG)."""
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else None
    return (canvas or FigureCanvasAgg(figure)).get_renderer()


def text_box(text: Text, renderer: RendererBase) -> Bbox:
    """The box a text covers: its white ground when it has one, else its glyphs' extent."""
    glyphs = text.get_window_extent(renderer)  # lays it out (an annotation: its place too)
    patch = text.get_bbox_patch()
    if patch is None:
        return glyphs
    text.update_bbox_position_size(renderer)
    return patch.get_window_extent(renderer)


def data_marks(ax: Axes) -> list[tuple[Path, bool]]:
    """Every data mark of ``ax`` as a path in display coordinates, and whether it is filled:
    lines (with a small square at each marker), collections (bands, interval bars, ticks) and
    patches (bars)."""
    marks: list[tuple[Path, bool]] = []
    for line in ax.lines:
        if not line.get_visible():
            continue
        points = line.get_transform().transform(line.get_xydata())
        if line.get_linestyle() not in ("None", "none", "", " ") and len(points) > 1:
            marks.append((Path(points), False))
        if line.get_marker() not in (None, "None", "none", "", " "):
            half = line.get_markersize() / 2 * line.figure.dpi / 72  # type: ignore[union-attr]
            for x, y in points:
                marks.append((Path.unit_rectangle().transformed(_square(x, y, half)), True))
    for collection in ax.collections:
        if not collection.get_visible():
            continue
        marks += _collection_marks(collection)
    for patch in ax.patches:
        if patch.get_visible():
            marks.append((patch.get_path().transformed(patch.get_transform()), True))
    return marks


def _square(x: float, y: float, half: float) -> Affine2D:
    return Affine2D().scale(2 * half).translate(x - half, y - half)


def _collection_marks(collection: Collection) -> list[tuple[Path, bool]]:
    transform = collection.get_transform()
    faces = np.asarray(collection.get_facecolor(), dtype=float).reshape(-1, 4)
    filled = len(faces) > 0 and faces[0, 3] > 0  # a band or a bar, not a line of ticks
    return [(path.transformed(transform), bool(filled)) for path in collection.get_paths()]


def inside(box: Bbox, figure: Figure) -> bool:
    return bool(figure.bbox.containsx(box.x0) and figure.bbox.containsx(box.x1)
                and figure.bbox.containsy(box.y0) and figure.bbox.containsy(box.y1))  # fmt: skip


@dataclass(frozen=True)
class Place:
    """One place a label may stand: anchored at ``xy`` (data), moved by ``offset`` points,
    aligned by ``ha`` and ``va``; or, with ``corner``, standing at that point of the axes (axes
    fraction) with a thin leader to ``xy``, for a mark with no free place beside it."""

    xy: tuple[float, float]
    offset: tuple[float, float]
    ha: str
    va: str
    corner: tuple[float, float] | None = None


LEADER = {"arrowstyle": "-", "color": "0.35", "linewidth": 0.5, "shrinkA": 0, "shrinkB": 0}


def axis_texts(ax: Axes, renderer: RendererBase) -> list[Bbox]:
    """The boxes of the texts the panel has already: its titles (left, centre, right), any text
    drawn on it, and its tick labels."""
    own = [child for child in ax.get_children() if isinstance(child, Text)]
    texts: list[Text] = [*own, *_drawn_ticks(ax.xaxis, 0), *_drawn_ticks(ax.yaxis, 1)]
    return [text_box(t, renderer) for t in texts if t.get_visible() and t.get_text()]


def _drawn_ticks(axis: Axis, index: int) -> list[Text]:
    """The tick labels drawn: those whose tick lies within the axis's view."""
    low, high = sorted(axis.get_view_interval())
    return [label for label in axis.get_ticklabels()
            if low - 1e-9 <= label.get_position()[index] <= high + 1e-9]  # fmt: skip


def place_labels(
    ax: Axes,
    labels: Sequence[tuple[str, Sequence[Place], dict]],
    widen: Callable[[int], bool] | None = None,
    tries: int = 4,
) -> list[Annotation]:
    """Put each label (its text, its candidate places in order of preference, its style) at the
    first place where it meets no data mark, no text of the panel and no label put before it.
    When some label has no such place, ``widen(step)`` gives the panel more room (it returns
    False when it cannot) and every label is placed again; after ``tries`` steps each label
    takes its least crowded place."""
    figure = ax.figure
    assert isinstance(figure, Figure)
    renderer = renderer_of(figure)
    for step in range(tries + 1):
        placed, crowded = _try(ax, labels, renderer, strict=True)
        if not crowded:
            return placed
        for label in placed:
            label.remove()
        if widen is None or step == tries or not widen(step):
            break
    placed, _ = _try(ax, labels, renderer, strict=False)
    return placed


def _try(
    ax: Axes, labels: Sequence[tuple[str, Sequence[Place], dict]], renderer: RendererBase,
    strict: bool,
) -> tuple[list[Annotation], bool]:  # fmt: skip
    figure = ax.figure
    assert isinstance(figure, Figure)
    marks = data_marks(ax)
    boxes = axis_texts(ax, renderer)
    placed: list[Annotation] = []
    crowded = False
    for text, places, style in labels:
        best, best_score = None, None
        for place in places:
            if place.corner is None:
                label = ax.annotate(text, xy=place.xy, xytext=place.offset,
                                    textcoords="offset points", ha=place.ha, va=place.va,
                                    annotation_clip=False, **style)  # fmt: skip
            else:
                label = ax.annotate(text, xy=place.xy, xytext=place.corner,
                                    textcoords="axes fraction", ha=place.ha, va=place.va,
                                    annotation_clip=False, arrowprops=LEADER, **style)  # fmt: skip
            box = text_box(label, renderer)
            score = _crowding(box, marks, boxes, figure)
            if score == 0:
                if best is not None:
                    best.remove()
                best, best_score = label, 0
                break
            if best_score is None or score < best_score:
                if best is not None:
                    best.remove()
                best, best_score = label, score
            else:
                label.remove()
        if best is None:
            continue
        if best_score:
            crowded = True
            if strict:  # the caller widens the panel and tries again
                placed.append(best)
                continue
        boxes.append(text_box(best, renderer))
        placed.append(best)
    return placed, crowded


def _crowding(box: Bbox, marks: list[tuple[Path, bool]], boxes: list[Bbox], figure: Figure) -> int:
    """How many things a label at ``box`` would meet (0: a free place); off the figure is
    worst."""
    if not inside(box, figure):
        return 1000
    met = sum(box.padded(GAP).overlaps(other) for other in boxes)
    met += sum(path.intersects_bbox(box.padded(GAP), filled=f) for path, f in marks)
    return int(met)
