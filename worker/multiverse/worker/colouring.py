"""Colours for the categories of an obs column, the same for both of umap.png's renderers."""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

# matplotlib's tab10, then the lighter half of tab20: distinct colours for up to 20 categories.
PALETTE = np.array(
    [
        [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
        [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
        [174, 199, 232], [255, 187, 120], [152, 223, 138], [255, 152, 150], [197, 176, 213],
        [196, 156, 148], [247, 182, 210], [199, 199, 199], [219, 219, 141], [158, 218, 229],
    ],
    dtype=np.uint8,
)
OTHER = np.array([210, 210, 210], dtype=np.uint8)
MISSING = np.array([90, 90, 90], dtype=np.uint8)
SINGLE = PALETTE[0]
MISSING_VALUES = {"", "nan", "None", "NaN"}


@dataclass(frozen=True)
class Colouring:
    colours: np.ndarray  # one RGB row per point (uint8)
    legend: List[Tuple[str, np.ndarray]]  # (name, colour) in legend order


def categorical(values: Optional[Sequence[object]], n_points: int, max_categories: int = len(PALETTE)) -> Colouring:
    """One colour per category, in sorted order of the category names; past `max_categories`, the most frequent keep
    their colour and the rest share a grey 'other' entry. Missing values ('', nan, None) are dark grey 'NA'."""
    if values is None:
        return Colouring(np.repeat(SINGLE[None, :], n_points, axis=0), [])
    names = np.array(["NA" if str(v) in MISSING_VALUES else str(v) for v in values], dtype=object)
    if len(names) != n_points:
        raise ValueError(f"{len(names)} labels for {n_points} points")
    unique, counts = np.unique(names[names != "NA"], return_counts=True)
    if len(unique) > max_categories:
        # the most frequent first (ties by name), then shown in name order
        order = sorted(range(len(unique)), key=lambda i: (-counts[i], unique[i]))[: max_categories - 1]
        kept = sorted(unique[i] for i in order)
    else:
        kept = list(unique)
    index = {name: i for i, name in enumerate(kept)}
    colours = np.empty((n_points, 3), dtype=np.uint8)
    legend: List[Tuple[str, np.ndarray]] = [(name, PALETTE[i]) for i, name in enumerate(kept)]
    others = 0
    for point, name in enumerate(names):
        if name in index:
            colours[point] = PALETTE[index[name]]
        elif name == "NA":
            colours[point] = MISSING
        else:
            colours[point] = OTHER
            others += 1
    if others:
        legend.append((f"other ({len(unique) - len(kept)} more)", OTHER))
    if (names == "NA").any():
        legend.append(("NA", MISSING))
    return Colouring(colours, legend)


def drawing_order(n_points: int, seed: int) -> np.ndarray:
    """A seeded shuffle, so that no category is always painted over the others."""
    return np.random.default_rng(seed).permutation(n_points)
