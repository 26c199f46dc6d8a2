"""plots/dataset_<slug>/: results_table.png (raw) and results_table_scaled.png, drawn as scib-metrics'
Benchmarker.plot_results_table draws them (plottable: a circle per metric coloured with PRGn, bars for the
aggregate scores; the same column definitions), from this evaluator's table, which also holds controls and
not-applicable metrics ("n/a", grey); and umap_grid.png: one row per member and control, coloured by label and by
batch (umap-learn, fixed seed; at most MAX_UMAP_CELLS cells, a seeded subsample beyond)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

# below umap-learn's 4096-cell threshold: exact neighbours, no pynndescent compile in the plot
MAX_UMAP_CELLS = 4000
GREY = (0.85, 0.85, 0.85, 1.0)


def _method_name(row: dict) -> str:
    """A member as a reader names it (model, seed and the start of its id); a control by its own name."""
    if row.get("model") is None or row.get("kind") == "control":
        return str(row["id"])
    seed = f" seed {row['seed']}" if row.get("seed") is not None else ""
    return f"{row['model']}{seed} [{str(row['id'])[:8]}]"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def results_table(section: dict[str, Any], table: str, path: Path) -> None:
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    import pandas as pd
    from plottable import ColumnDefinition, Table
    from plottable.cmap import normed_cmap
    from plottable.plots import bar

    rows = [r for r in section["tables"][table]["rows"] if r["status"] == "done"]
    metric_names = [m for m in section["metrics_info"] if any(not _is_missing(r["metrics"][m["name"]]) for r in rows)]
    aggregates = [(key, title) for key, title in (("bio_conservation", "Bio conservation"), ("batch_correction", "Batch correction"), ("total", "Total"))
                  if any(not _is_missing(r[key]) for r in rows)]
    if not rows or not (metric_names or aggregates):
        return
    sort_key = next((key for key, _ in reversed(aggregates)), None)
    frame = pd.DataFrame(
        {**{m["label"]: [np.nan if _is_missing(r["metrics"][m["name"]]) else r["metrics"][m["name"]] for r in rows] for m in metric_names},
         **{title: [np.nan if _is_missing(r[key]) else r[key] for r in rows] for key, title in aggregates}},
        index=[_method_name(r) for r in rows], dtype=np.float64)
    if sort_key:
        frame = frame.sort_values(by=dict(aggregates)[sort_key], ascending=False, na_position="last", kind="stable")
    frame["Method"] = frame.index
    groups = {"bio_conservation": "Bio conservation", "batch_correction": "Batch correction"}

    def cmap_for(column: pd.Series):
        present = column.dropna()
        if len(present) < 2 or float(present.std()) == 0.0:  # nothing to contrast: the neutral middle colour
            return lambda value: GREY if _is_missing(value) else mpl.cm.PRGn(0.5)
        base = normed_cmap(present, cmap=mpl.cm.PRGn, num_stds=2.5)
        return lambda value: GREY if _is_missing(value) else base(value)

    def formatter(value: Any) -> str:
        return "n/a" if _is_missing(value) else f"{value:.2f}"

    def bar_or_na(ax, val, **kwargs):
        if _is_missing(val):
            return ax.text(0.5, 0.5, "n/a", ha="center", va="center", fontsize=10, transform=ax.transAxes)
        return bar(ax, val, **kwargs)

    definitions = [ColumnDefinition("Method", width=2.4, textprops={"ha": "left", "weight": "bold"})]
    definitions += [ColumnDefinition(m["label"], title=m["label"].replace(" ", "\n", 1), width=1,
                                     textprops={"ha": "center", "bbox": {"boxstyle": "circle", "pad": 0.25}},
                                     cmap=cmap_for(frame[m["label"]]), group=groups[m["category"]], formatter=formatter)
                    for m in metric_names]
    definitions += [ColumnDefinition(title, width=1, title=title.replace(" ", "\n", 1), plot_fn=bar_or_na,
                                     plot_kw={"cmap": mpl.cm.YlGnBu, "plot_bg_bar": False, "annotate": True, "height": 0.9, "formatter": "{:.2f}"},
                                     group="Aggregate score", border="left" if i == 0 else None)
                    for i, (_, title) in enumerate(aggregates)]
    with mpl.rc_context({"svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=((len(frame.columns)) * 1.25, 3 + 0.3 * len(rows)))
        Table(frame, cell_kw={"linewidth": 0, "edgecolor": "k"}, column_definitions=definitions, ax=ax, row_dividers=True,
              footer_divider=True, textprops={"fontsize": 10, "ha": "center"},
              row_divider_kw={"linewidth": 1, "linestyle": (0, (1, 5))}, col_label_divider_kw={"linewidth": 1, "linestyle": "-"},
              column_border_kw={"linewidth": 1, "linestyle": "-"}, index_col="Method").autoset_fontcolors(colnames=frame.columns)
        ax.set_title(f"{section['slug']}: scIB metrics ({table})", loc="left", fontsize=12)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, facecolor=ax.get_facecolor(), dpi=120, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)


def _scatter(ax, coords: np.ndarray, values: np.ndarray | None, title: str, legend: bool) -> None:
    import matplotlib.pyplot as plt

    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)
    if values is None:
        ax.scatter(coords[:, 0], coords[:, 1], s=3, c="#888888", linewidths=0)
        ax.text(0.5, 0.02, "no key", ha="center", transform=ax.transAxes, fontsize=7)
        return
    categories = sorted({str(v) for v in values}, key=lambda c: (0, int(c), c) if c.isdigit() else (1, 0, c))
    palette = plt.get_cmap("tab20")
    for i, category in enumerate(categories):
        mask = np.array([str(v) == category for v in values])
        ax.scatter(coords[mask, 0], coords[mask, 1], s=3, color=palette(i % 20), linewidths=0, label=category)
    if legend and len(categories) <= 20:
        ax.legend(fontsize=5, markerscale=2, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)


def umap_grid(slug: str, embeddings: dict[str, np.ndarray], labels: np.ndarray | None, batches: np.ndarray | None,
              label_key: str | None, batch_key: str | None, seed: int, path: Path) -> None:
    import matplotlib.pyplot as plt
    import umap

    if not embeddings:
        return
    n = next(iter(embeddings.values())).shape[0]
    keep = np.arange(n)
    if n > MAX_UMAP_CELLS:
        keep = np.sort(np.random.default_rng(seed).choice(n, MAX_UMAP_CELLS, replace=False))
    names = sorted(embeddings, key=lambda name: (name.startswith("control:"), name))
    fig, axes = plt.subplots(len(names), 2, figsize=(7.5, 3.2 * len(names)), squeeze=False)
    for i, name in enumerate(names):
        coords = umap.UMAP(n_neighbors=15, min_dist=0.5, random_state=seed).fit_transform(embeddings[name][keep])
        _scatter(axes[i][0], coords, labels[keep] if labels is not None else None, f"{name}\nlabel: {label_key or '-'}", legend=True)
        _scatter(axes[i][1], coords, batches[keep] if batches is not None else None, f"{name}\nbatch: {batch_key or '-'}", legend=True)
    subtitle = f" ({MAX_UMAP_CELLS} of {n} cells)" if n > MAX_UMAP_CELLS else ""
    fig.suptitle(f"{slug}: UMAP of each embedding{subtitle}", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
