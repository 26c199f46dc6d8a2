"""The batch and label columns of a dataset: found (global obs, then each modality's obs), usable or not, and why.
A key that is not declared, not found, has missing values (NaN / a -1 category code) or fewer than two distinct
values is not used; the metrics that need it are not applicable. Nothing is ever invented."""
from __future__ import annotations

from dataclasses import dataclass

import h5py

from .h5data import ObsColumn, find_obs_column
from .metrics import KeyVerdict


@dataclass(frozen=True)
class KeyReport:
    batch_key: str | None
    label_key: str | None
    batch_found_in: str | None
    label_found_in: str | None
    n_batches: int | None
    n_labels: int | None
    verdict: KeyVerdict

    def as_json(self) -> dict:
        return {
            "batch_key": self.batch_key,
            "label_key": self.label_key,
            "found_in": self.batch_found_in or self.label_found_in,
            "batch_found_in": self.batch_found_in,
            "label_found_in": self.label_found_in,
            "n_batches": self.n_batches,
            "n_labels": self.n_labels,
            "batch_problem": self.verdict.batch_problem,
            "label_problem": self.verdict.label_problem,
        }

    def warnings(self) -> list[str]:
        return [p for p in (self.verdict.batch_problem, self.verdict.label_problem) if p]


def _problem(kind: str, key: str | None, column: ObsColumn | None, group_word: str, consequence: str) -> str | None:
    if key is None:
        return f"no {kind} key: {consequence} not applicable"
    if column is None:
        return f"{kind} key {key!r} is not an obs column (looked in obs and every mod/<name>/obs): {consequence} not applicable"
    if column.n_missing:
        return f"{kind} key {key!r} has {column.n_missing} missing values (NaN): {consequence} not applicable"
    if column.n_categories < 2:
        return f"{kind} key {key!r} has {column.n_categories} {group_word}: {consequence} need at least 2"
    return None


def inspect_keys(f: h5py.File, batch_key: str | None, label_key: str | None) -> KeyReport:
    batch = find_obs_column(f, batch_key) if batch_key else None
    label = find_obs_column(f, label_key) if label_key else None
    batch_problem = _problem("batch", batch_key, batch, "batch", "batch correction metrics (and isolated labels)")
    label_problem = _problem("label", label_key, label, "label", "bio conservation metrics (and the per-label batch metrics)")
    verdict = KeyVerdict(
        labels=label.values if label is not None and label_problem is None else None,
        batches=batch.values if batch is not None and batch_problem is None else None,
        label_problem=label_problem,
        batch_problem=batch_problem,
    )
    return KeyReport(
        batch_key=batch_key,
        label_key=label_key,
        batch_found_in=batch.found_in if batch else None,
        label_found_in=label.found_in if label else None,
        n_batches=batch.n_categories if batch else None,
        n_labels=label.n_categories if label else None,
        verdict=verdict,
    )
