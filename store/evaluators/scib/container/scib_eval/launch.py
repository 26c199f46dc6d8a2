"""A whole launch: every dataset in turn (one process), then the member documents, plots and the report."""
from __future__ import annotations

import traceback
from pathlib import Path
from typing import Callable

from . import plots
from .config import EvalConfig
from .dataset import DatasetOutcome, MemberOutcome, not_ready_outcomes, evaluate_dataset
from .documents import dataset_section, member_document, report_document, write_json
from .metrics import MetricResult, preset_metrics
from .versions import versions as installed_versions


def _crashed(outcome_dataset, metrics, error: Exception) -> DatasetOutcome:
    reason = f"the evaluator failed on this dataset: {type(error).__name__}: {error}"[:500]
    members = [MemberOutcome(m, "evaluation_failed", reason, None, [MetricResult(s, None, "failed", reason) for s in metrics])
               for m in outcome_dataset.members]
    return DatasetOutcome(outcome_dataset, None, None, members + not_ready_outcomes(outcome_dataset, metrics), [], [reason])


def evaluate_launch(config: EvalConfig, output: Path, threads: int, log: Callable[[str], None]) -> None:
    metrics = preset_metrics(config.metrics)
    versions = installed_versions()
    sections = []
    for dataset in config.datasets:
        log(f"dataset {dataset.slug}: {len(dataset.members)} ready members, {len(dataset.not_ready)} not ready; metrics {config.metrics}")
        try:
            outcome = evaluate_dataset(dataset, metrics, config.seed, threads)
        except Exception as error:  # one dataset's failure does not stop the others
            traceback.print_exc()
            outcome = _crashed(dataset, metrics, error)
        section, scaled = dataset_section(outcome, metrics)
        for member in outcome.members:
            write_json(output / "evaluations" / f"{member.member.member_id}.json",
                       member_document(config, outcome, member, scaled, versions))
        plot_dir = output / "plots" / f"dataset_{dataset.slug}"
        try:
            for table, name in (("raw", "results_table.png"), ("scaled", "results_table_scaled.png")):
                plots.results_table(section, table, plot_dir / name)
            verdict = outcome.keys.verdict if outcome.keys else None
            plots.umap_grid(dataset.slug, outcome.embeddings, verdict.labels if verdict else None,
                            verdict.batches if verdict else None, dataset.label_key, dataset.batch_key, config.seed,
                            plot_dir / "umap_grid.png")
        except Exception as error:
            traceback.print_exc()
            section["warnings"] = sorted(set(section["warnings"]) | {f"plots failed: {type(error).__name__}: {error}"})
        sections.append(section)
        log(f"dataset {dataset.slug}: " + ", ".join(f"{m.member.member_id} {m.status}" for m in outcome.members))
    write_json(output / "evaluation_report.json", report_document(config, sections, versions))
