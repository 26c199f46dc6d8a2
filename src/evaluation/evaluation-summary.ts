/**
 * What a Benchmark's status says of its evaluation: the Evaluated condition (True once the current generation's
 * launch is evaluated, False while waiting or after a failure, with the reason) and the leaderboard summary (per
 * dataset, the ranked rows' raw scores). Pure.
 */
import type { EvaluationReport } from "./report-model.js";
import { rankedRows } from "./report-format.js";

export interface ScoreLine {
  rank: number | null;
  id: string;
  kind: "member" | "control";
  model: string | null;
  seed: number | null;
  status: string;
  bio_conservation: number | null;
  batch_correction: number | null;
  total: number | null;
}

export interface EvaluationSummary {
  launch_id: string;
  metrics: string;
  datasets: { slug: string; scores: ScoreLine[]; warnings: string[] }[];
}

/** Ranked by the scaled total (the report's ranking); the scores shown are the raw ones. */
export function summarizeReport(report: EvaluationReport): EvaluationSummary {
  return {
    launch_id: report.launch_id,
    metrics: report.metrics,
    datasets: report.datasets.map((dataset) => {
      const raw = new Map(dataset.tables.raw.rows.map((r) => [r.id, r]));
      return {
        slug: dataset.slug,
        warnings: dataset.warnings,
        scores: rankedRows(dataset, "scaled").map(({ rank, row }) => {
          const r = raw.get(row.id) ?? row;
          return { rank, id: row.id, kind: row.kind, model: row.model, seed: row.seed, status: row.status, bio_conservation: r.bio_conservation, batch_correction: r.batch_correction, total: r.total };
        }),
      };
    }),
  };
}

export interface EvaluatedDraft {
  type: "Evaluated";
  status: "True" | "False";
  reason: string;
  message: string;
}

export type EvaluationState =
  | { kind: "disabled" }
  | { kind: "waiting"; terminal: number; total: number }
  | { kind: "evaluating"; launchId: string }
  | { kind: "failed"; launchId: string; error: string }
  | { kind: "done"; launchId: string; statuses: Record<string, number>; best?: { model: string | null; seed: number | null; total: number; dataset: string } };

/** The best member (rank 1 that is a member) of each dataset; the first dataset's is the headline. */
export function bestMember(summary: EvaluationSummary): { model: string | null; seed: number | null; total: number; dataset: string } | undefined {
  for (const dataset of summary.datasets) {
    const top = dataset.scores.find((s) => s.kind === "member" && s.rank !== null && s.total !== null);
    if (top && top.total !== null) return { model: top.model, seed: top.seed, total: top.total, dataset: dataset.slug };
  }
  return undefined;
}

export function evaluatedCondition(state: EvaluationState): EvaluatedDraft | undefined {
  switch (state.kind) {
    case "disabled":
      return undefined;
    case "waiting":
      return { type: "Evaluated", status: "False", reason: "WaitingForRuns", message: `${state.terminal}/${state.total} runs of this generation are terminal` };
    case "evaluating":
      return { type: "Evaluated", status: "False", reason: "Evaluating", message: `launch ${state.launchId} is being evaluated` };
    case "failed":
      return { type: "Evaluated", status: "False", reason: "EvaluationFailed", message: `launch ${state.launchId}: ${state.error}` };
    case "done": {
      const counts = Object.entries(state.statuses).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${n} ${s}`).join(", ");
      const best = state.best ? `; best ${state.best.model ?? "?"} seed ${state.best.seed ?? "?"} total ${state.best.total.toFixed(3)} on ${state.best.dataset}` : "";
      return { type: "Evaluated", status: "True", reason: "Evaluated", message: `launch ${state.launchId}: ${counts}${best}` };
    }
  }
}
