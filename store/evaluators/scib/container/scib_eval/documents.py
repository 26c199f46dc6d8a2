"""The JSON documents: evaluations/<member_id>.json and evaluation_report.json (EVAL_CONTRACT.md). Deterministic:
sorted keys, values rounded by scoring.rounded, no timestamps; timings only in a member's "resources"."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .config import EvalConfig, Member
from .dataset import DatasetOutcome, MemberOutcome
from .metrics import NEIGHBOURS, MetricResult, MetricSpec
from .scoring import WEIGHTS, Row, Scores, rank_ids, raw_values, rounded, scaled_values, scores_of

SCHEMA_VERSION = 1
TABLE_DESCRIPTIONS = {
    "raw": "the metrics' own values",
    "scaled": "each metric min-max scaled over the evaluated rows (members and controls), as Benchmarker.get_results(min_max_scale=True)",
}
AGGREGATION = ("category score = mean of its metrics; total = 0.6 x bio_conservation + 0.4 x batch_correction; "
               "'raw' uses the metrics' values, 'scaled' min-max scales each metric over the table's evaluated rows "
               "(members and controls) first, as scib-metrics' Benchmarker.get_results(min_max_scale=True); the "
               "ranking uses the scaled total (ties by id, null totals last)")


def dump(document: Any) -> str:
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dump(document), encoding="utf-8")
    tmp.replace(path)


def _metric_json(result: MetricResult, value: float | None) -> dict[str, Any]:
    return {"name": result.spec.name, "label": result.spec.label, "category": result.spec.category,
            "value": value, "status": result.status, "reason": result.reason}


def _scores_json(scores: Scores) -> dict[str, Any]:
    return {
        "bio_conservation": scores.bio_conservation.value,
        "batch_correction": scores.batch_correction.value,
        "total": scores.total.value,
        "reasons": {"bio_conservation": scores.bio_conservation.reason, "batch_correction": scores.batch_correction.reason,
                    "total": scores.total.reason},
    }


def member_document(config: EvalConfig, outcome: DatasetOutcome, member: MemberOutcome,
                    scaled: dict[str, dict[str, float | None]], versions: dict[str, str | None]) -> dict[str, Any]:
    m = member.member
    values = raw_values(Row(m.member_id, "member", member.results))
    ready = isinstance(m, Member)
    scaled_row = scaled.get(m.member_id)
    return {
        "schema_version": SCHEMA_VERSION,
        "launch_id": config.launch_id,
        "metrics_preset": config.metrics,
        "member": {"member_id": m.member_id, "run_id": m.run_id, "attempt_id": m.attempt_id, "model": m.model,
                   "seed": m.seed, "params": m.params, "dataset": outcome.dataset.slug},
        "status": member.status,
        "reason": member.reason,
        "embedding": {"shape": member.shape},
        "keys": outcome.keys.as_json() if outcome.keys else None,
        "metrics": [_metric_json(r, values[r.spec.name]) for r in member.results],
        "scores": _scores_json(scores_of(member.results, values)),
        "scaled_scores": _scores_json(scores_of(member.results, scaled_row)) if scaled_row is not None else None,
        "weights": WEIGHTS,
        "traced_to": {"manifest_sha256": m.manifest_sha256 if ready else None,
                      "embedding_sha256": m.embedding_sha256 if ready else None,
                      "dataset_fingerprint": outcome.dataset.fingerprint},
        "versions": versions,
        "resources": {"elapsed_seconds": member.elapsed_seconds, "peak_rss_bytes": member.peak_rss_bytes},
    }


def _row(row_id: str, kind: str, model: str | None, seed: int | None, status: str, reason: str | None,
         metrics: list[MetricSpec], values: dict[str, float | None] | None, scores: Scores | None) -> dict[str, Any]:
    return {"id": row_id, "kind": kind, "model": model, "seed": seed, "status": status, "reason": reason,
            "metrics": {m.name: (values or {}).get(m.name) for m in metrics},
            "bio_conservation": scores.bio_conservation.value if scores else None,
            "batch_correction": scores.batch_correction.value if scores else None,
            "total": scores.total.value if scores else None,
            "total_reason": scores.total.reason if scores else f"not evaluated ({status})"}


def dataset_section(outcome: DatasetOutcome, metrics: list[MetricSpec]) -> tuple[dict[str, Any], dict[str, dict[str, float | None]]]:
    """The report's entry for one dataset. Tables: a row per member (not-evaluated ones with their status and
    nulls) and per control; the scaling runs over the evaluated rows only."""
    evaluated = outcome.rows()
    raw = {row.embedding: raw_values(row) for row in evaluated}
    scaled, scale_warnings = scaled_values(evaluated, metrics)
    raw_scores = {row.embedding: scores_of(row.results, raw[row.embedding]) for row in evaluated}
    scaled_scores = {row.embedding: scores_of(row.results, scaled[row.embedding]) for row in evaluated}
    entries = []
    for m in sorted(outcome.members, key=lambda m: m.member.member_id):
        entries.append((m.member.member_id, "member", m.member.model, m.member.seed, m.status, m.reason))
    for c in outcome.controls:
        entries.append((c.name, "control", None, None, c.status, c.reason))
    tables = {}
    for label, values, scores in (("raw", raw, raw_scores), ("scaled", scaled, scaled_scores)):
        rows = [_row(i, kind, model, seed, status, reason, metrics, values.get(i), scores.get(i))
                for i, kind, model, seed, status, reason in entries]
        tables[label] = {"label": label, "description": TABLE_DESCRIPTIONS[label], "rows": rows}
    ids = [e[0] for e in entries]
    ranking_ids = rank_ids({i: scaled_scores[i].total.value if i in scaled_scores else None for i in ids})
    section = {
        "slug": outcome.dataset.slug,
        "path": outcome.dataset.path,
        "fingerprint": outcome.dataset.fingerprint,
        "n_obs": outcome.n_obs,
        "batch_key": outcome.dataset.batch_key,
        "label_key": outcome.dataset.label_key,
        "keys": outcome.keys.as_json() if outcome.keys else None,
        "metric_names": [m.name for m in metrics],
        "metrics_info": [{"name": m.name, "label": m.label, "category": m.category} for m in metrics],
        "neighbours": NEIGHBOURS,
        "tables": tables,
        "ranking": ranking_ids,
        "ranking_detail": [{"rank": n + 1, "id": i,
                            "scaled_total": scaled_scores[i].total.value if i in scaled_scores else None,
                            "raw_total": raw_scores[i].total.value if i in raw_scores else None}
                           for n, i in enumerate(ranking_ids)],
        "controls": [c.name for c in outcome.controls],
        "control_details": [{"name": c.name, "description": c.description, "shape": c.shape, "status": c.status, "reason": c.reason}
                            for c in outcome.controls],
        "warnings": sorted(set(list(outcome.warnings) + scale_warnings)),
    }
    return section, scaled


def report_document(config: EvalConfig, sections: list[dict[str, Any]], versions: dict[str, str | None]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "launch_id": config.launch_id,
        "metrics": config.metrics,
        "seed": config.seed,
        "weights": WEIGHTS,
        "aggregation": AGGREGATION,
        "float_policy": "every value rounded to 6 decimals",
        "datasets": sections,
        "warnings": sorted({f"{s['slug']}: {w}" for s in sections for w in s["warnings"]}),
        "versions": versions,
    }


__all__ = ["dump", "write_json", "member_document", "dataset_section", "report_document", "rounded"]
