"""umap.png drawn with matplotlib (Agg, no display): one scatter panel per colouring with its legend beside it.
The bytes are deterministic for the same figure and matplotlib version (no timestamp or version in the metadata)."""
import io

from .figure import Figure

PANEL_WIDTH_IN = 7.6
HEIGHT_IN = 5.2
DPI = 100


def _point_size(n_points: int) -> float:
    return float(min(30.0, max(1.5, 12000.0 / max(1, n_points))))


def render_matplotlib(figure: Figure) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.lines import Line2D

    n_panels = max(1, len(figure.panels))
    fig = MplFigure(figsize=(PANEL_WIDTH_IN * n_panels, HEIGHT_IN), dpi=DPI, layout="constrained")
    fig.suptitle(f"{figure.title}\n{figure.subtitle}", fontsize=11)
    axes = fig.subplots(1, n_panels, squeeze=False)[0]
    xy = figure.coords[figure.order]
    size = _point_size(len(xy))
    for ax, panel in zip(axes, figure.panels):
        colours = panel.colouring.colours[figure.order] / 255.0
        ax.scatter(xy[:, 0], xy[:, 1], c=colours, s=size, linewidths=0, rasterized=False)
        ax.set_title(panel.title, fontsize=10)
        ax.set_xlabel(figure.axis_names[0])
        ax.set_ylabel(figure.axis_names[1])
        ax.set_xticks([])
        ax.set_yticks([])
        if panel.colouring.legend:
            handles = [
                Line2D([], [], marker="o", linestyle="", markersize=6, markerfacecolor=colour / 255.0, markeredgewidth=0, label=name)
                for name, colour in panel.colouring.legend
            ]
            ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=8, handletextpad=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
