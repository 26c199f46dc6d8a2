"""One dataset of the launch, in one process: keys, controls, every ready member's embedding and metrics."""
from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field

import h5py
import numpy as np

from . import controls
from .config import Dataset, Member, NotReadyMember
from .h5data import DataError, n_obs, read_embedding
from .keys import KeyReport, inspect_keys
from .metrics import MIN_CELLS, MetricResult, MetricSpec, run_benchmarker
from .scoring import Row

# readiness (host side) -> evaluation status (EVAL_CONTRACT.md)
READINESS_TO_STATUS = {
    "training_failed": "training_failed", "cancelled": "training_failed",
    "running": "not_ready", "not_submitted": "not_ready",
    "missing_artifact_dir": "bad_manifest", "bad_artifact_manifest": "bad_manifest",
    "no_embeddings": "no_embeddings", "missing_dataset": "missing_dataset", "unsupported_dataset": "unsupported_dataset",
}


def peak_rss_bytes() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


@dataclass
class MemberOutcome:
    member: Member | NotReadyMember
    status: str
    reason: str | None
    shape: list[int] | None
    results: list[MetricResult]
    elapsed_seconds: float = 0.0
    peak_rss_bytes: int = 0


@dataclass
class ControlOutcome:
    name: str
    description: str
    shape: list[int] | None
    status: str  # done | evaluation_failed
    reason: str | None
    results: list[MetricResult]
    embedding: np.ndarray | None = None


@dataclass
class DatasetOutcome:
    dataset: Dataset
    keys: KeyReport | None
    n_obs: int | None
    members: list[MemberOutcome]
    controls: list[ControlOutcome]
    warnings: list[str] = field(default_factory=list)
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)  # for the UMAP grid: done members and controls

    def rows(self) -> list[Row]:
        rows = [Row(m.member.member_id, "member", m.results) for m in self.members if m.status == "done"]
        rows += [Row(c.name, "control", c.results) for c in self.controls if c.status == "done"]
        return rows


def _not_run(metrics: list[MetricSpec], status: str, reason: str) -> list[MetricResult]:
    return [MetricResult(m, None, status, reason) for m in metrics]


def _unevaluated(dataset: Dataset, metrics: list[MetricSpec], status: str, reason: str, keys: KeyReport | None,
                 count: int | None, warning: str) -> DatasetOutcome:
    members = [MemberOutcome(m, status, reason, None, _not_run(metrics, "failed", reason)) for m in dataset.members]
    return DatasetOutcome(dataset, keys, count, members + not_ready_outcomes(dataset, metrics), [], [warning])


def not_ready_outcomes(dataset: Dataset, metrics: list[MetricSpec]) -> list[MemberOutcome]:
    out = []
    for m in dataset.not_ready:
        status = READINESS_TO_STATUS[m.status]
        reason = m.reason or f"readiness: {m.status}"
        out.append(MemberOutcome(m, status, reason, None, _not_run(metrics, "not_applicable", f"not evaluated ({status})")))
    return out


def _member_status(results: list[MetricResult]) -> tuple[str, str | None]:
    failed = [r for r in results if r.status == "failed"]
    if failed:
        return "evaluation_failed", f"{', '.join(r.spec.name for r in failed)} failed: {failed[0].reason}"
    return "done", None


# A latent dimension whose spread is below this fraction of the widest one's is numerically constant (float32).
CONSTANT_DIMENSION = 1e-6


def varying_dimensions(matrix: np.ndarray) -> np.ndarray:
    """The mask of the latent dimensions that are not numerically constant."""
    spread = matrix.std(axis=0)
    return spread > CONSTANT_DIMENSION * float(spread.max())


def evaluate_dataset(dataset: Dataset, metrics: list[MetricSpec], seed: int, n_jobs: int) -> DatasetOutcome:
    try:
        with h5py.File(dataset.path, "r") as f:
            count = n_obs(f)
            keys = inspect_keys(f, dataset.batch_key, dataset.label_key)
            try:
                pca_input, how = controls.pca_input(f)
                pca_problem = None
            except (DataError, KeyError, ValueError) as error:
                pca_input, how, pca_problem = None, {}, str(error)
    except (OSError, DataError) as error:
        reason = f"the dataset {dataset.path} cannot be read: {error}"
        return _unevaluated(dataset, metrics, "missing_dataset", reason, None, None, reason)
    if count < MIN_CELLS:
        reason = f"the dataset has {count} cells; scib-metrics' neighbour graphs (15, 50, 90 neighbours) need at least {MIN_CELLS}"
        return _unevaluated(dataset, metrics, "unsupported_dataset", reason, keys, count, reason)

    warnings = keys.warnings()
    members: list[MemberOutcome] = []
    embeddings: dict[str, np.ndarray] = {}
    for member in dataset.members:
        started = time.monotonic()
        loaded = read_embedding(member.embedding_path or "", count)
        if loaded.problem:
            status, reason = loaded.problem
            members.append(MemberOutcome(member, status, reason, None, _not_run(metrics, "failed", reason),
                                         round(time.monotonic() - started, 3), peak_rss_bytes()))
            continue
        assert loaded.matrix is not None
        varying = varying_dimensions(loaded.matrix)
        if not varying.any():
            reason = "every latent dimension is constant: the embedding separates no cells"
            members.append(MemberOutcome(member, "evaluation_failed", reason, list(loaded.matrix.shape), _not_run(metrics, "failed", reason),
                                         round(time.monotonic() - started, 3), peak_rss_bytes()))
            continue
        if not varying.all():
            # A constant dimension (a model's pruned factor) changes no distance; PCR comparison is 0/0 with it.
            warnings.append(f"{member.member_id}: {int((~varying).sum())} of {varying.size} latent dimensions are constant "
                            f"(standard deviation below {CONSTANT_DIMENSION:g} of the largest) and are left out of the scores: "
                            "they change no distance")
        embeddings[member.member_id] = loaded.matrix[:, varying]
        members.append(MemberOutcome(member, "running", None, list(loaded.matrix.shape), [], 0.0, 0))

    unintegrated: np.ndarray | None = None
    control_outcomes: list[ControlOutcome] = []
    if pca_input is not None:
        try:
            unintegrated = controls.unintegrated_pca(pca_input, seed)
        except (DataError, ValueError) as error:
            pca_problem = str(error)
    del pca_input
    description = "PCA of the input (" + "; ".join(f"{name}: {text}" for name, text in how.items()) + "; centred, ARPACK)"
    if unintegrated is not None:
        control_outcomes.append(ControlOutcome(controls.UNINTEGRATED, description, list(unintegrated.shape), "running", None, [], unintegrated))
    else:
        reason = f"the unintegrated PCA failed: {pca_problem}"
        warnings.append(f"{controls.UNINTEGRATED}: {reason} (no PCR comparison)")
        control_outcomes.append(ControlOutcome(controls.UNINTEGRATED, "PCA of the input", None, "evaluation_failed", reason, _not_run(metrics, "failed", reason)))
    dims = controls.random_dimensions([e.shape[1] for e in embeddings.values()], unintegrated.shape[1] if unintegrated is not None else 10)
    random = controls.random_embedding(count, dims, seed)
    control_outcomes.append(ControlOutcome(controls.RANDOM, f"standard Gaussian, {dims} dimensions (the members' median), seed {seed}",
                                           [count, dims], "running", None, [], random))

    for outcome in members:
        if outcome.status != "running":
            continue
        started = time.monotonic()
        outcome.results = run_benchmarker(embeddings[outcome.member.member_id], unintegrated, keys.verdict, metrics, n_jobs)
        outcome.status, outcome.reason = _member_status(outcome.results)
        outcome.elapsed_seconds = round(time.monotonic() - started, 3)
        outcome.peak_rss_bytes = peak_rss_bytes()
    for control in control_outcomes:
        if control.status != "running" or control.embedding is None:
            continue
        control.results = run_benchmarker(control.embedding, unintegrated, keys.verdict, metrics, n_jobs)
        control.status, control.reason = _member_status(control.results)
        if control.status != "done":
            warnings.append(f"{control.name}: {control.reason}")
    shown = {m.member.member_id: embeddings[m.member.member_id] for m in members if m.status == "done"}
    shown.update({c.name: c.embedding for c in control_outcomes if c.status == "done" and c.embedding is not None})
    return DatasetOutcome(dataset, keys, count, members + not_ready_outcomes(dataset, metrics), control_outcomes, warnings, shown)
