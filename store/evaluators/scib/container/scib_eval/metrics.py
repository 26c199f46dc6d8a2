"""Which scib-metrics metrics a preset asks for, which of them apply to a dataset's keys, and running them with
scib-metrics' Benchmarker (one Benchmarker per embedding, so that one embedding's failure fails only it).

Names are scib-metrics 0.5.10's own (its Benchmarker's result rows); `label` is its clean column name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

BIO = "bio_conservation"
BATCH = "batch_correction"


@dataclass(frozen=True)
class MetricSpec:
    name: str  # the Benchmarker's result row (a function name, or <function>_nmi / _ari)
    function: str  # the BioConservation / BatchCorrection field
    label: str  # scib-metrics' clean name (its results table's column)
    category: str
    needs_labels: bool
    needs_batch: bool


CATALOGUE: tuple[MetricSpec, ...] = (
    MetricSpec("isolated_labels", "isolated_labels", "Isolated labels", BIO, True, True),
    MetricSpec("nmi_ari_cluster_labels_leiden_nmi", "nmi_ari_cluster_labels_leiden", "Leiden NMI", BIO, True, False),
    MetricSpec("nmi_ari_cluster_labels_leiden_ari", "nmi_ari_cluster_labels_leiden", "Leiden ARI", BIO, True, False),
    MetricSpec("nmi_ari_cluster_labels_kmeans_nmi", "nmi_ari_cluster_labels_kmeans", "KMeans NMI", BIO, True, False),
    MetricSpec("nmi_ari_cluster_labels_kmeans_ari", "nmi_ari_cluster_labels_kmeans", "KMeans ARI", BIO, True, False),
    MetricSpec("silhouette_label", "silhouette_label", "Silhouette label", BIO, True, False),
    MetricSpec("clisi_knn", "clisi_knn", "cLISI", BIO, True, False),
    MetricSpec("bras", "bras", "BRAS", BATCH, True, True),
    MetricSpec("ilisi_knn", "ilisi_knn", "iLISI", BATCH, False, True),
    MetricSpec("kbet_per_label", "kbet_per_label", "KBET", BATCH, True, True),
    # graph connectivity reads the labels only, but it is a batch-correction metric: without batches it says nothing
    MetricSpec("graph_connectivity", "graph_connectivity", "Graph connectivity", BATCH, True, True),
    MetricSpec("pcr_comparison", "pcr_comparison", "PCR comparison", BATCH, False, True),
)

BIO_FUNCTIONS = ("isolated_labels", "nmi_ari_cluster_labels_leiden", "nmi_ari_cluster_labels_kmeans", "silhouette_label", "clisi_knn")
BATCH_FUNCTIONS = ("bras", "ilisi_knn", "kbet_per_label", "graph_connectivity", "pcr_comparison")

# default: scib-metrics' BioConservation() and BatchCorrection() defaults (Leiden NMI/ARI off).
# fast: the metrics that need neither a per-label loop nor a clustering sweep: KMeans NMI/ARI, silhouette label,
#   cLISI, iLISI, graph connectivity and PCR comparison (no isolated labels, BRAS, kBET per label).
# all: every metric the 0.5.10 Benchmarker has (default + Leiden NMI/ARI).
PRESET_FUNCTIONS: dict[str, frozenset[str]] = {
    "default": frozenset({"isolated_labels", "nmi_ari_cluster_labels_kmeans", "silhouette_label", "clisi_knn",
                          "bras", "ilisi_knn", "kbet_per_label", "graph_connectivity", "pcr_comparison"}),
    "fast": frozenset({"nmi_ari_cluster_labels_kmeans", "silhouette_label", "clisi_knn",
                       "ilisi_knn", "graph_connectivity", "pcr_comparison"}),
    "all": frozenset(BIO_FUNCTIONS + BATCH_FUNCTIONS),
}

# Benchmarker's neighbour graphs (15, 50, 90 neighbours)
MIN_CELLS = 91


def preset_metrics(preset: str) -> list[MetricSpec]:
    functions = PRESET_FUNCTIONS[preset]
    return [m for m in CATALOGUE if m.function in functions]


@dataclass(frozen=True)
class KeyVerdict:
    """Whether the dataset's batch and label columns can be used, and why not."""
    labels: np.ndarray | None
    batches: np.ndarray | None
    label_problem: str | None
    batch_problem: str | None


def applicability(metric: MetricSpec, keys: KeyVerdict) -> str | None:
    """None when the metric applies; else the reason it is not applicable."""
    if metric.needs_batch and keys.batch_problem:
        return keys.batch_problem
    if metric.needs_labels and keys.label_problem:
        return keys.label_problem
    return None


@dataclass(frozen=True)
class MetricResult:
    spec: MetricSpec
    value: float | None
    status: str  # ok | not_applicable | failed
    reason: str | None


def _flags(functions: set[str], names: tuple[str, ...]) -> dict[str, bool]:
    return {name: name in functions for name in names}


def exact_neighbors(n_jobs: int) -> Any:
    """scib-metrics' neighbour hook with sklearn's exact kNN (self included, as pynndescent returns it). Exact
    neighbours make the scores deterministic whatever the thread count, and skip pynndescent's numba compilation,
    which no cache keeps across processes and which dominated an evaluation's time."""
    from scib_metrics.nearest_neighbors import NeighborsResults
    from sklearn.neighbors import NearestNeighbors

    def compute(data: np.ndarray, n_neighbors: int) -> Any:
        matrix = np.asarray(data, dtype=np.float32)
        k = min(n_neighbors, matrix.shape[0])
        distances, indices = NearestNeighbors(n_neighbors=k, algorithm="brute", n_jobs=n_jobs).fit(matrix).kneighbors(matrix)
        return NeighborsResults(indices=indices.astype(np.int64), distances=distances.astype(np.float32))

    return compute


NEIGHBOURS = "sklearn.neighbors.NearestNeighbors (exact, brute force) through Benchmarker.prepare(neighbor_computer=...)"


def run_benchmarker(embedding: np.ndarray, pre_integrated: np.ndarray | None, keys: KeyVerdict,
                    metrics: list[MetricSpec], n_jobs: int) -> list[MetricResult]:
    """Every metric of `metrics` for one embedding: not_applicable ones are not run; the applicable ones run in
    one scib-metrics Benchmarker. A missing key's Benchmarker slot holds the other key's column, which no enabled
    metric reads (the Benchmarker needs both names; nothing is invented)."""
    import anndata
    import pandas as pd
    from scib_metrics.benchmark import BatchCorrection, Benchmarker, BioConservation

    results: dict[str, MetricResult] = {}
    runnable: list[MetricSpec] = []
    for metric in metrics:
        reason = applicability(metric, keys)
        if reason is None and metric.function == "pcr_comparison" and pre_integrated is None:
            results[metric.name] = MetricResult(metric, None, "failed", "no unintegrated baseline (its PCA failed) to compare with")
        elif reason is None:
            runnable.append(metric)
        else:
            results[metric.name] = MetricResult(metric, None, "not_applicable", reason)
    if runnable:
        functions = {m.function for m in runnable}
        bio = _flags(functions, BIO_FUNCTIONS)
        batch = _flags(functions, BATCH_FUNCTIONS)
        labels = keys.labels if keys.labels is not None else keys.batches
        batches = keys.batches if keys.batches is not None else keys.labels
        n = embedding.shape[0]
        obs = pd.DataFrame({"mv_labels": pd.Categorical(labels), "mv_batch": pd.Categorical(batches)},
                           index=[str(i) for i in range(n)])
        adata = anndata.AnnData(obs=obs)
        adata.obsm["embedding"] = embedding
        adata.obsm["pre"] = pre_integrated if pre_integrated is not None else embedding
        try:
            bm = Benchmarker(adata, batch_key="mv_batch", label_key="mv_labels", embedding_obsm_keys=["embedding"],
                             bio_conservation_metrics=BioConservation(**bio) if any(bio.values()) else None,
                             batch_correction_metrics=BatchCorrection(**batch) if any(batch.values()) else None,
                             pre_integrated_embedding_obsm_key="pre", n_jobs=n_jobs, progress_bar=False)
            bm.prepare(neighbor_computer=exact_neighbors(n_jobs))
            bm.benchmark()
            table: Any = bm.get_results(min_max_scale=False, clean_names=False)
            for metric in runnable:
                value = float(table.loc["embedding", metric.name])
                if np.isfinite(value):
                    results[metric.name] = MetricResult(metric, value, "ok", None)
                else:
                    results[metric.name] = MetricResult(metric, None, "failed", f"scib-metrics returned {value}")
        except Exception as error:  # a metric's failure is this embedding's evaluation_failed, never a crash
            message = f"{type(error).__name__}: {error}".strip()[:500]
            for metric in runnable:
                results[metric.name] = MetricResult(metric, None, "failed", message)
    return [results[m.name] for m in metrics]
