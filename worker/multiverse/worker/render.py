"""Draws a Figure: with matplotlib when it is installed, else with the dependency-free rasteriser of png.py."""
from typing import Tuple

from .figure import Figure


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
