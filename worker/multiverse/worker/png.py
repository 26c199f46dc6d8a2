"""A dependency-free PNG encoder and figure rasteriser (numpy only), so that every image can render umap.png with
its title, axis names and legends, matplotlib or not."""
import struct
import textwrap
import zlib
from typing import Optional, Sequence

import numpy as np

from .colouring import PALETTE
from .figure import Figure
from .font import GLYPH_HEIGHT, GLYPH_WIDTH, text_mask

BLACK = np.array([0, 0, 0], dtype=np.uint8)
GREY = np.array([110, 110, 110], dtype=np.uint8)


def encode_png(rgb: np.ndarray) -> bytes:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("encode_png expects an H x W x 3 uint8 array")
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def scatter_png(points: np.ndarray, labels: Optional[Sequence[object]] = None, size: int = 480, radius: int = 2) -> bytes:
    """Render 2-D points as a coloured scatter plot (one colour per label) on a white canvas."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] < 2:
        raise ValueError("scatter_png expects an n x 2 array")
    canvas = np.full((size, size, 3), 255, dtype=np.uint8)
    finite = np.isfinite(pts[:, :2]).all(axis=1)
    if not finite.any():
        return encode_png(canvas)
    xy = pts[finite, :2]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    margin = 12
    scaled = (xy - lo) / span * (size - 2 * margin - 1) + margin
    cols = scaled[:, 0].astype(int)
    rows = (size - 1 - scaled[:, 1]).astype(int)
    if labels is not None:
        label_array = np.asarray([str(v) for v in labels], dtype=object)[finite]
        categories = {value: i for i, value in enumerate(sorted(set(label_array)))}
        colours = PALETTE[[categories[v] % len(PALETTE) for v in label_array]]
    else:
        colours = np.repeat(PALETTE[:1], len(rows), axis=0)
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            if dr * dr + dc * dc > radius * radius:
                continue
            r = np.clip(rows + dr, 0, size - 1)
            c = np.clip(cols + dc, 0, size - 1)
            canvas[r, c] = colours
    canvas[[0, -1], :] = 0
    canvas[:, [0, -1]] = 0
    return encode_png(canvas)


def _draw_points(canvas: np.ndarray, rows: np.ndarray, cols: np.ndarray, colours: np.ndarray, radius: int, box: tuple) -> None:
    top, left, bottom, right = box
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            if dr * dr + dc * dc > radius * radius:
                continue
            canvas[np.clip(rows + dr, top, bottom), np.clip(cols + dc, left, right)] = colours


def draw_text(canvas: np.ndarray, text: str, top: int, left: int, colour: np.ndarray = BLACK, vertical: bool = False) -> None:
    """Text with its top-left corner at (top, left), clipped to the canvas; `vertical` reads bottom to top."""
    mask = text_mask(text)
    if vertical:
        mask = np.rot90(mask)
    height, width = mask.shape
    bottom, right = min(canvas.shape[0], top + height), min(canvas.shape[1], left + width)
    if bottom <= max(top, 0) or right <= max(left, 0):
        return
    t, l = max(top, 0), max(left, 0)
    region = canvas[t:bottom, l:right]
    region[mask[t - top : bottom - top, l - left : right - left]] = colour


def _centred(canvas: np.ndarray, text: str, top: int, left: int, width: int, colour: np.ndarray = BLACK) -> None:
    limit = max(1, width // GLYPH_WIDTH)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    draw_text(canvas, text, top, left + (width - len(text) * GLYPH_WIDTH) // 2, colour)


PLOT = 400
LEGEND = 180
LEFT = 30
PANEL = LEFT + PLOT + LEGEND
HEADER = 72
FOOTER = 30
LEGEND_LINE = 18


TITLE_LINE = GLYPH_HEIGHT + 4


def render_plain(figure: Figure, radius: int = 2) -> bytes:
    """The figure as a PNG without matplotlib: title and subtitle (wrapped to the width), then per panel its title,
    the scatter in a frame, the axis names and a legend (as many entries as fit)."""
    n_panels = max(1, len(figure.panels))
    width = PANEL * n_panels
    per_line = width // GLYPH_WIDTH - 4
    lines = [(line, BLACK) for line in textwrap.wrap(figure.title, per_line, break_on_hyphens=False)] + [(line, GREY) for part in figure.subtitle.split("\n") for line in textwrap.wrap(part, per_line, break_on_hyphens=False)]
    # the panels start below the title lines (HEADER leaves room for two)
    shift = max(0, len(lines) - 2) * TITLE_LINE
    height = HEADER + shift + PLOT + FOOTER
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    for number, (line, colour) in enumerate(lines):
        _centred(canvas, line, 6 + number * TITLE_LINE, 0, width, colour)
    # the panels are drawn as if the title had two lines, then moved down by the extra lines
    body = np.full((HEADER + PLOT + FOOTER, width, 3), 255, dtype=np.uint8)
    _render_panels(body, figure, radius)
    below_title = HEADER - TITLE_LINE  # where the panel titles start
    canvas[shift + below_title :] = body[below_title:]
    return encode_png(canvas)


def _render_panels(canvas: np.ndarray, figure: Figure, radius: int) -> None:
    xy = np.asarray(figure.coords, dtype=np.float64)[figure.order]
    finite = np.isfinite(xy).all(axis=1)
    lo = xy[finite].min(axis=0) if finite.any() else np.zeros(2)
    hi = xy[finite].max(axis=0) if finite.any() else np.ones(2)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    margin = radius + 6
    scaled = (np.nan_to_num(xy) - lo) / span * (PLOT - 2 * margin - 1) + margin
    for index, panel in enumerate(figure.panels):
        x0 = index * PANEL + LEFT
        box = (HEADER, x0, HEADER + PLOT - 1, x0 + PLOT - 1)
        _centred(canvas, panel.title, HEADER - GLYPH_HEIGHT - 4, x0, PLOT)
        rows = (HEADER + PLOT - 1 - scaled[finite, 1]).astype(int)
        cols = (x0 + scaled[finite, 0]).astype(int)
        _draw_points(canvas, rows, cols, panel.colouring.colours[figure.order][finite], radius, box)
        canvas[[box[0], box[2]], box[1] : box[3] + 1] = BLACK
        canvas[box[0] : box[2] + 1, [box[1], box[3]]] = BLACK
        _centred(canvas, figure.axis_names[0], HEADER + PLOT + 6, x0, PLOT)
        name = figure.axis_names[1]
        draw_text(canvas, name, HEADER + (PLOT + len(name) * GLYPH_WIDTH) // 2 - len(name) * GLYPH_WIDTH, x0 - GLYPH_HEIGHT - 6, vertical=True)
        entries = panel.colouring.legend
        fits = PLOT // LEGEND_LINE
        if len(entries) > fits:
            entries = entries[: fits - 1] + [(f"... {len(entries) - fits + 1} more", GREY)]
        for line, (label, colour) in enumerate(entries):
            top = HEADER + 4 + line * LEGEND_LINE
            left = x0 + PLOT + 10
            canvas[top + 4 : top + 12, left : left + 8] = colour
            limit = (LEGEND - 24) // GLYPH_WIDTH
            draw_text(canvas, label if len(label) <= limit else label[: limit - 3] + "...", top, left + 12)
