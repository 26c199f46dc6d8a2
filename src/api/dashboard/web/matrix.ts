/**
 * A benchmark's run matrix (pure): one row per model, one column per dataset, and in each cell one square per run
 * (seeds in order; several jobs of the same model and dataset side by side). Live records patch it in place.
 */
import type { Run } from "./types.js";

export interface MatrixRun {
  runId: string;
  name: string;
  jobName: string;
  seed: number;
  phase: string;
  reason: string | null;
}

export interface Matrix {
  benchmark: string;
  models: string[];
  datasets: string[];
  /** Keyed by cellKey(model, dataset). */
  cells: Map<string, MatrixRun[]>;
  /** Where each run is: its cell key. */
  runCell: Map<string, string>;
}

export function cellKey(model: string, dataset: string): string {
  return `${model}\u0000${dataset}`;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function buildMatrix(benchmark: string, runs: readonly Run[]): Matrix {
  const cells = new Map<string, MatrixRun[]>();
  const runCell = new Map<string, string>();
  const models = new Set<string>();
  const datasets = new Set<string>();
  for (const run of runs) {
    if (run.benchmark !== benchmark) continue;
    models.add(run.model);
    datasets.add(run.dataset);
    const key = cellKey(run.model, run.dataset);
    const list = cells.get(key) ?? [];
    list.push({ runId: run.runId, name: run.name, jobName: run.jobName, seed: run.seed, phase: run.phase, reason: run.reason });
    cells.set(key, list);
    runCell.set(run.runId, key);
  }
  for (const list of cells.values()) list.sort((a, b) => byName(a.jobName, b.jobName) || a.seed - b.seed || byName(a.runId, b.runId));
  return { benchmark, models: [...models].sort(byName), datasets: [...datasets].sort(byName), cells, runCell };
}

/** Moves a run of the matrix to a phase; false when the run is not in it (the caller reloads). */
export function applyPhase(matrix: Matrix, runId: string, phase: string, reason: string | null): boolean {
  const key = matrix.runCell.get(runId);
  const run = key === undefined ? undefined : matrix.cells.get(key)?.find((r) => r.runId === runId);
  if (!run) return false;
  run.phase = phase;
  run.reason = reason;
  return true;
}

/** How many runs of the matrix are in each phase. */
export function matrixCounts(matrix: Matrix): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const list of matrix.cells.values()) for (const run of list) counts[run.phase] = (counts[run.phase] ?? 0) + 1;
  return counts;
}

/** The benchmarks the runs belong to, with those the API lists first in its order, then the others by name. */
export function benchmarkNames(listed: readonly string[], runs: readonly Run[]): string[] {
  const names = [...listed];
  const seen = new Set(listed);
  const extra = [...new Set(runs.map((r) => r.benchmark))].filter((b) => !seen.has(b)).sort(byName);
  return [...names, ...extra];
}
