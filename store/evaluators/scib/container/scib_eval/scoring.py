"""Aggregation as scib-metrics' Benchmarker.get_results does it (pure, no I/O).

A category score is the mean of its metrics; total = 0.6 x bio conservation + 0.4 x batch correction (the scIB
manuscript's weights). Two tables: "raw" (the metrics' own values) and "scaled" (each metric min-max scaled over
the table's rows, members and controls, as Benchmarker.get_results(min_max_scale=True) does with sklearn's
MinMaxScaler; a metric equal on every row scales to 0, as MinMaxScaler does). The report ranks by the scaled
total (EVAL_CONTRACT.md) and also gives every row's raw total.

Stricter than get_results (which averages whatever is there): a category score is null when any of its applicable
metrics failed, and when none applies; the total is null when either category is.
Every value is rounded to 6 decimals (scib-metrics 0.5.10 and 0.6.1 agree within 7e-6), so the JSON is stable.
"""
from __future__ import annotations

from dataclasses import dataclass

from .metrics import BATCH, BIO, MetricResult, MetricSpec

WEIGHTS = {"bio_conservation": 0.6, "batch_correction": 0.4}
DECIMALS = 6


def rounded(value: float | None) -> float | None:
    if value is None:
        return None
    result = round(float(value), DECIMALS)
    return 0.0 if result == 0 else result  # no "-0.0"


@dataclass(frozen=True)
class Score:
    value: float | None
    reason: str | None


@dataclass(frozen=True)
class Scores:
    bio_conservation: Score
    batch_correction: Score
    total: Score


def category_score(results: list[MetricResult], category: str, values: dict[str, float | None]) -> Score:
    mine = [r for r in results if r.spec.category == category]
    applicable = [r for r in mine if r.status != "not_applicable"]
    if not mine:
        return Score(None, f"no {category} metric in this preset")
    if not applicable:
        return Score(None, f"not applicable: {mine[0].reason}")
    failed = [r.spec.name for r in applicable if r.status != "ok" or values.get(r.spec.name) is None]
    if failed:
        return Score(None, f"failed metric(s): {', '.join(failed)}")
    return Score(rounded(sum(values[r.spec.name] or 0.0 for r in applicable) / len(applicable)), None)


def scores_of(results: list[MetricResult], values: dict[str, float | None]) -> Scores:
    bio = category_score(results, BIO, values)
    batch = category_score(results, BATCH, values)
    if bio.value is not None and batch.value is not None:
        total = Score(rounded(WEIGHTS["bio_conservation"] * bio.value + WEIGHTS["batch_correction"] * batch.value), None)
    else:
        missing = [f"{name}: {s.reason}" for name, s in (("bio_conservation", bio), ("batch_correction", batch)) if s.value is None]
        total = Score(None, "; ".join(missing))
    return Scores(bio, batch, total)


@dataclass(frozen=True)
class Row:
    embedding: str  # member_id or control name
    kind: str  # member | control
    results: list[MetricResult]


def raw_values(row: Row) -> dict[str, float | None]:
    return {r.spec.name: (rounded(r.value) if r.status == "ok" else None) for r in row.results}


def scaled_values(rows: list[Row], metrics: list[MetricSpec]) -> tuple[dict[str, dict[str, float | None]], list[str]]:
    """Per row, each metric min-max scaled over the rows where it is ok; warnings for constant metrics."""
    raws = {row.embedding: raw_values(row) for row in rows}
    scaled: dict[str, dict[str, float | None]] = {row.embedding: {} for row in rows}
    warnings: list[str] = []
    for metric in metrics:
        present = [v for v in (raws[row.embedding][metric.name] for row in rows) if v is not None]
        low, high = (min(present), max(present)) if present else (0.0, 0.0)
        if len(present) > 1 and high == low:
            warnings.append(f"{metric.name} is {low} on every embedding: its scaled value is 0")
        for row in rows:
            value = raws[row.embedding][metric.name]
            scaled[row.embedding][metric.name] = None if value is None else rounded((value - low) / (high - low) if high > low else 0.0)
    return scaled, warnings


def rank_ids(totals: dict[str, float | None]) -> list[str]:
    """Ids by descending total; ties by id; ids without a total last (by id)."""
    return sorted(totals, key=lambda i: (totals[i] is None, -(totals[i] or 0.0), i))
