"""Whether a chart's text can be read: every text box of a matplotlib figure (titles, tick
labels, direct labels, with their white ground) checked against every other text box and every
data mark (lines, markers, bands, bars, ticks drawn as data) as the figure is laid out at print
size, and every label leader against the other texts. Reusable for any chart the report draws:
``collisions(figure)`` lists what meets what, in words, so a failing test says where.

Written apart from ``vcc.reports.label_layout`` (the code that places labels), so that the test
does not grade the code by its own measure."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.path import Path
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Affine2D, Bbox


def _box(text: Text, renderer) -> Bbox:
    glyphs = text.get_window_extent(renderer)  # lays it out (an annotation: its place too)
    patch = text.get_bbox_patch()
    if patch is None:
        return glyphs
    text.update_bbox_position_size(renderer)
    return patch.get_window_extent(renderer)


def _marks(figure: Figure) -> list[tuple[str, Path, bool]]:
    """(what, path in pixels, filled) for each data mark of each axes."""
    marks = []
    for number, ax in enumerate(figure.axes):
        if not ax.get_visible():
            continue
        for line in ax.lines:
            points = line.get_transform().transform(line.get_xydata())
            if line.get_linestyle() not in ("None", "", " ") and len(points) > 1:
                marks.append((f"axes {number} line", Path(points), False))
            if line.get_marker() not in (None, "None", "", " "):
                size = line.get_markersize() * figure.dpi / 72
                for x, y in points:
                    square = Affine2D().scale(size).translate(x - size / 2, y - size / 2)
                    marks.append(
                        (f"axes {number} marker", Path.unit_rectangle().transformed(square), True)
                    )
        for collection in ax.collections:
            faces = np.asarray(collection.get_facecolor())
            filled = len(faces) > 0 and faces[0][3] > 0
            for path in collection.get_paths():
                marks.append(
                    (
                        f"axes {number} band or bar",
                        path.transformed(collection.get_transform()),
                        filled,
                    )
                )
        for patch in ax.patches:
            marks.append(
                (f"axes {number} bar", patch.get_path().transformed(patch.get_transform()), True)
            )
    return marks


def _ticks_out_of_view(ax) -> list[Text]:
    """Tick labels matplotlib keeps but does not draw: their tick is outside the view."""
    out = []
    for axis, index in ((ax.xaxis, 0), (ax.yaxis, 1)):
        low, high = sorted(axis.get_view_interval())
        for label in axis.get_ticklabels():
            place = label.get_position()[index]
            if not low - 1e-9 <= place <= high + 1e-9:
                out.append(label)
    return out


def collisions(figure: Figure, gap: float = 0.5) -> list[str]:
    """Every pair of overlapping text boxes, every text box over a data mark, and every label
    leader crossing another text, in words; empty when the chart's text all stands clear."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)  # lay it out as it is saved
    hidden = {id(label) for ax in figure.axes for label in _ticks_out_of_view(ax)}
    texts = [
        text for text in figure.findobj(Text)
        if text.get_visible() and text.get_text().strip() and id(text) not in hidden
        and (text.axes is None or text.axes.get_visible())
    ]  # fmt: skip
    boxes = [(text.get_text().replace("\n", " "), _box(text, renderer)) for text in texts]
    found = []
    for i, (name, box) in enumerate(boxes):
        for other, other_box in boxes[i + 1 :]:
            if box.overlaps(other_box):
                found.append(f"text {name!r} overlaps text {other!r}")
        for what, path, filled in _marks(figure):
            if path.intersects_bbox(box.padded(-gap), filled=filled):
                found.append(f"text {name!r} overlaps a data mark ({what})")
    for text in texts:
        if isinstance(text, Annotation) and text.arrow_patch is not None:
            leader = text.arrow_patch.get_path().transformed(text.arrow_patch.get_transform())
            for name, box in boxes:
                if name != text.get_text() and leader.intersects_bbox(
                    box.padded(-gap), filled=False
                ):
                    found.append(f"the leader of {text.get_text()!r} crosses text {name!r}")
    return found
