"""What umap.png shows, independent of how it is drawn: the 2-D coordinates, one panel per colouring (the label key,
then the batch key), a title and the axis names. `render` draws it with matplotlib when it is installed, else with
the dependency-free rasteriser of png.py."""
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


def matplotlib_available() -> bool:
    try:
        import matplotlib  # type: ignore  # noqa: F401
    except ImportError:
        return False
    return True


def render(figure: Figure) -> Tuple[bytes, str]:
    """The PNG bytes and the renderer's name ("matplotlib" or "plain")."""
    if matplotlib_available():
        from .plot_matplotlib import render_matplotlib

        return render_matplotlib(figure), "matplotlib"
    from .png import render_plain

    return render_plain(figure), "plain"
