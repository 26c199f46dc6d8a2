"""The JSON documents: evaluations/<member_id>.json and evaluation_report.json (EVAL_CONTRACT.md). Deterministic:
sorted keys, values rounded by scoring.rounded, no timestamps; timings only in a member's "resources"."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .config import EvalConfig, Member
from .dataset import DatasetOutcome, MemberOutcome
from .metrics import MetricResult, MetricSpec
from .scoring import WEIGHTS, Row, Scores, ranking, raw_values, rounded, scaled_values, scores_of

SCHEMA_VERSION = 1
AGGREGATION = ("category score = mean of its metrics; total = 0.6 x bio_conservation + 0.4 x batch_correction; "
               "'raw' uses the metrics' values, 'scaled' min-max scales each metric over the table's rows (members "
               "and controls) first, as scib-metrics' Benchmarker.get_results(min_max_scale=True); the ranking uses "
               "the raw total")


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


def _table(rows: list[Row], metrics: list[MetricSpec], values: dict[str, dict[str, float | None]], label: str,
           info: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out_rows = []
    for row in rows:
        scores = scores_of(row.results, values[row.embedding])
        out_rows.append({"embedding": row.embedding, **info[row.embedding],
                         "metrics": {m.name: values[row.embedding][m.name] for m in metrics},
                         "bio_conservation": scores.bio_conservation.value, "batch_correction": scores.batch_correction.value,
                         "total": scores.total.value, "total_reason": scores.total.reason})
    return {"label": label, "rows": out_rows}


def dataset_section(outcome: DatasetOutcome, metrics: list[MetricSpec]) -> tuple[dict[str, Any], dict[str, dict[str, float | None]]]:
    rows = sorted(outcome.rows(), key=lambda r: (r.kind != "member", r.embedding))
    raw = {row.embedding: raw_values(row) for row in rows}
    scaled, scale_warnings = scaled_values(rows, metrics)
    info: dict[str, dict[str, Any]] = {}
    for m in outcome.members:
        info[m.member.member_id] = {"kind": "member", "model": m.member.model, "seed": m.member.seed}
    for c in outcome.controls:
        info[c.name] = {"kind": "control", "model": None, "seed": None}
    raw_scores = {row.embedding: scores_of(row.results, raw[row.embedding]) for row in rows}
    scaled_scores = {row.embedding: scores_of(row.results, scaled[row.embedding]) for row in rows}
    ranked_by, entries = ranking(rows, raw_scores)
    warnings = list(outcome.warnings) + scale_warnings
    if ranked_by and ranked_by != "total":
        warnings.append(f"no embedding has a total score: ranked by {ranked_by}")
    section = {
        "slug": outcome.dataset.slug,
        "path": outcome.dataset.path,
        "fingerprint": outcome.dataset.fingerprint,
        "n_obs": outcome.n_obs,
        "keys": outcome.keys.as_json() if outcome.keys else None,
        "metric_names": [{"name": m.name, "label": m.label, "category": m.category} for m in metrics],
        "tables": {
            "raw": _table(rows, metrics, raw, "raw: the metrics' own values", info),
            "scaled": _table(rows, metrics, scaled, "scaled: each metric min-max scaled over these rows (members and controls)", info),
        },
        "ranked_by": ranked_by,
        "ranking": [{"rank": e.rank, "embedding": e.embedding, "kind": e.kind, "score": e.value,
                     "scaled_total": scaled_scores[e.embedding].total.value} for e in entries],
        "controls": [{"name": c.name, "description": c.description, "shape": c.shape, "status": c.status, "reason": c.reason}
                     for c in outcome.controls],
        "members": [{"member_id": m.member.member_id, "model": m.member.model, "seed": m.member.seed, "status": m.status,
                     "reason": m.reason} for m in sorted(outcome.members, key=lambda m: m.member.member_id)],
        "warnings": sorted(set(warnings)),
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
