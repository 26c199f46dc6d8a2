"""What umap.png shows, independent of how it is drawn: the 2-D coordinates, one panel per colouring (the label key,
then the batch key), a title and the axis names. render.py draws it."""
from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

from .colouring import Colouring


@dataclass(frozen=True)
class Panel:
    title: str
    colouring: Colouring


@dataclass(frozen=True)
class Figure:
    title: str
    subtitle: str  # may hold line breaks
    axis_names: Tuple[str, str]
    coords: np.ndarray  # n x 2
    order: np.ndarray  # the order the points are painted in
    panels: List[Panel]
