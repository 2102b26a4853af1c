"""Chart labels that no line strikes through.

``place_labels`` tries each point's label at places around the point, nearest first, and keeps
the first where its box (measured by matplotlib's own text layout, as the chart is saved) crosses
no line, marker, other label or leader and stays inside the plot. ``collisions`` runs the same
geometry over a finished chart, so that the tests check the charts as drawn, not by eye.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.path import Path
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

# Directions from the point (right, up) with the text's alignment there, tried in this order at
# each distance (points), nearest first; beyond the second distance a thin leader joins them.
_DIRECTIONS = [
    (1, 0.4, "left", "bottom"), (1, -0.4, "left", "top"), (-1, 0.4, "right", "bottom"),
    (-1, -0.4, "right", "top"), (0, 1, "center", "bottom"), (0, -1, "center", "top"),
    (1, 0, "left", "center"), (-1, 0, "right", "center"), (0.7, 0.7, "left", "bottom"),
    (-0.7, 0.7, "right", "bottom"), (0.7, -0.7, "left", "top"), (-0.7, -0.7, "right", "top"),
    (-0.3, 1, "right", "bottom"), (-0.3, -1, "right", "top"), (0.3, 1, "left", "bottom"),
    (0.3, -1, "left", "top"),
]  # fmt: skip
_DISTANCES = (5.0, 12.0, 20.0, 30.0, 42.0, 56.0, 72.0, 90.0)
PAD_PIXELS = 1.5  # clear space kept around a label's box
# A leader starts at the side of its text facing the point, never under the text itself.
LEADER = {"arrowstyle": "-", "color": "0.45", "linewidth": 0.5, "shrinkA": 1, "shrinkB": 2}


@dataclass(frozen=True)
class Placed:
    """A label put on a chart, and whether a clear place was found for it."""

    annotation: Annotation
    clear: bool


def renderer_of(figure: Figure) -> RendererBase:
    """A renderer that lays text out as the saved chart will (an Agg canvas, same fonts)."""
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else None
    return (canvas or FigureCanvasAgg(figure)).get_renderer()


def line_paths(ax: Axes) -> list[Path]:
    """Every drawn line of ``ax`` (limits, centre, trend lines), in display coordinates."""
    return [
        line.get_transform().transform_path(line.get_path())
        for line in ax.get_lines()
        if line.get_linestyle() not in ("None", "", " ") and np.shape(line.get_xydata())[0] > 1
    ]


def marker_boxes(ax: Axes, renderer: RendererBase) -> list[Bbox]:
    """A box around every marker of ``ax``, in display coordinates."""
    boxes = []
    pixels_per_point = float(renderer.points_to_pixels(1.0))  # type: ignore[arg-type]
    for line in ax.get_lines():
        if line.get_marker() in (None, "None", "", " "):
            continue
        half = float(line.get_markersize()) * pixels_per_point / 2 + PAD_PIXELS
        for x, y in line.get_transform().transform(line.get_xydata()):
            boxes.append(Bbox.from_extents(x - half, y - half, x + half, y + half))
    return boxes


def leader_path(annotation: Annotation, renderer: RendererBase) -> Path | None:
    """The leader joining ``annotation``'s text to its point, in display coordinates."""
    if annotation.arrow_patch is None:
        return None
    annotation.update_positions(renderer)
    patch = annotation.arrow_patch
    try:
        return patch.get_transform().transform_path(patch.get_path())
    except StopIteration:  # a leader wholly inside its text: nothing is drawn
        return None


def text_box(label: Text, renderer: RendererBase) -> Bbox:
    """The box of a label's text alone (an annotation's own extent includes its leader)."""
    if isinstance(label, Annotation):
        label.update_positions(renderer)  # where the text goes, from its point and offset
    return Text.get_window_extent(label, renderer)


def _inside(box: Bbox, frame: Bbox) -> bool:
    return frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


def _annotate(ax: Axes, text: str, x: float, y: float, offset: tuple[float, ...], **style: Any):
    dx, dy, distance = offset
    direction = next(d for d in _DIRECTIONS if d[0] == dx and d[1] == dy)
    leader = dict(LEADER, relpos=_facing(dx, dy)) if distance > _DISTANCES[1] else None
    return ax.annotate(
        text, (x, y), xytext=(dx * distance, dy * distance), textcoords="offset points",
        ha=direction[2], va=direction[3], arrowprops=leader, **style,
    )  # fmt: skip


def _facing(dx: float, dy: float) -> tuple[float, float]:
    """The point of a text's box (relative) nearest a point lying opposite (dx, dy)."""
    return (0.5 - 0.5 * np.sign(dx), 0.5 - 0.5 * np.sign(dy))


def _crossed(leader: Path | None, boxes: Sequence[Bbox]) -> int:
    """How many of ``boxes`` the leader crosses (none without a leader)."""
    return 0 if leader is None else sum(leader.intersects_bbox(b, filled=False) for b in boxes)


def place_labels(
    ax: Axes, points: Sequence[tuple[float, float, str]], fontsize: float = 8, attempts: int = 3
) -> list[Placed]:
    """Label each (x, y, text) point of ``ax`` at the first clear place around it (see the
    module), in the order given; with none clear, at the place with fewest collisions. A label
    left without a clear place goes first in the next attempt; the attempt with fewest such
    labels is kept. Call it once every line and marker is drawn and the axes' limits and scales
    are set. The labels come back in the order of ``points``."""
    order = list(range(len(points)))
    best: list[Placed] | None = None
    for _ in range(attempts):
        placed = _place_in_order(ax, [points[index] for index in order], fontsize)
        by_point = dict(zip(order, placed, strict=True))
        attempt = [by_point[index] for index in range(len(points))]
        unclear = [index for index in order if not by_point[index].clear]
        if best is None or len(unclear) < sum(not p.clear for p in best):
            if best is not None:
                for label in best:
                    label.annotation.remove()
            best = attempt
        else:
            for label in attempt:
                label.annotation.remove()
        if not unclear:
            break
        order = unclear + [index for index in order if index not in unclear]
    return best or []


def _place_in_order(
    ax: Axes, points: Sequence[tuple[float, float, str]], fontsize: float
) -> list[Placed]:
    figure = ax.get_figure()
    assert isinstance(figure, Figure)
    renderer = renderer_of(figure)
    paths, markers = line_paths(ax), marker_boxes(ax, renderer)
    frame = ax.get_window_extent(renderer)
    placed: list[Placed] = []
    taken: list[Bbox] = []
    leaders: list[Path] = []
    for x, y, text in points:
        best: tuple[int, Annotation, Bbox, Path | None] | None = None
        for distance in _DISTANCES:
            for dx, dy, _, _ in _DIRECTIONS:
                label = _annotate(ax, text, x, y, (dx, dy, distance), fontsize=fontsize)
                box = text_box(label, renderer).padded(PAD_PIXELS)
                leader = leader_path(label, renderer)
                # weighed so that, where no place is clear, a line through the text is the
                # last thing accepted
                count = (
                    2 * int(not _inside(box, frame))
                    + 10 * sum(path.intersects_bbox(box, False) for path in [*paths, *leaders])
                    + 3 * sum(box.overlaps(other) for other in markers)
                    + 4 * sum(box.overlaps(other) for other in taken)
                    + 4 * _crossed(leader, taken)
                )
                if best is None or count < best[0]:
                    if best is not None:
                        best[1].remove()
                    best = (count, label, box, leader)
                else:
                    label.remove()
                if count == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        taken.append(best[2])
        if best[3] is not None:
            leaders.append(best[3])
        placed.append(Placed(best[1], best[0] == 0))
    return placed


def collisions(ax: Axes, labels: Sequence[Annotation], inside_plot: bool = True) -> list[str]:
    """What each of ``labels`` on ``ax`` runs into: a line of the plot or a leader (struck
    through), a marker, another label, or (``inside_plot``) the plot's edge; empty when every
    label is clear."""
    figure = ax.get_figure()
    assert isinstance(figure, Figure)
    renderer = renderer_of(figure)
    paths, markers = line_paths(ax), marker_boxes(ax, renderer)
    frame = ax.get_window_extent(renderer)
    boxes = [text_box(label, renderer) for label in labels]
    leaders = [leader_path(label, renderer) for label in labels]
    found = []
    for index, (label, box) in enumerate(zip(labels, boxes, strict=True)):
        name = label.get_text()
        if inside_plot and not _inside(box, frame):
            found.append(f"{name}: outside the plot")
        found += [f"{name}: struck by a line" for p in paths if p.intersects_bbox(box, False)]
        found += [f"{name}: over a point" for m in markers if box.overlaps(m)]
        for other, other_box, other_leader in zip(labels, boxes, leaders, strict=True):
            if other is label:
                continue
            if labels.index(other) > index and box.overlaps(other_box):
                found.append(f"{name}: over {other.get_text()}")
            if other_leader is not None and other_leader.intersects_bbox(box, filled=False):
                found.append(f"{name}: struck by the leader of {other.get_text()}")
    return found
