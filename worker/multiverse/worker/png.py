"""A dependency-free PNG encoder and scatter rasteriser, so that every image can render umap.png."""
import struct
import zlib
from typing import Optional, Sequence

import numpy as np

PALETTE = np.array(
    [
        [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
        [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
    ],
    dtype=np.uint8,
)


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
