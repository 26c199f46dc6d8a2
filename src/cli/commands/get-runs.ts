import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { RunIndex, indexPath, rebuildIndex, type SweepTrialRow } from "../../index/run-index.js";
import { json, table, type Io } from "../output.js";
import { structured } from "../format.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";

export interface GetRunsOptions extends StateRootOptions {
  outputFormat?: "json" | "yaml" | "wide" | "table";
  benchmark?: string;
  phase?: string;
}

/** Opens the index of a state root, rebuilding it from the journal when it was deleted. */
export function openIndexFor(stateRoot: string): RunIndex {
  const root = resolve(stateRoot);
  if (!existsSync(root)) throw Errors.notFound(`state root ${root} does not exist`);
  if (!existsSync(indexPath(root))) rebuildIndex(root);
  return RunIndex.open(indexPath(root));
}

export function getRunsCommand(options: GetRunsOptions, io: Io): number {
  const index = openIndexFor(resolveStateRoot(options));
  try {
    const rows = index.listRuns({ benchmark: options.benchmark, phase: options.phase });
    // Runs of sweeps carry their trials (study and trial number); a TRIAL column appears only when there are some.
    const trials = trialsByRun(index.sweepTrials(rows.map((r) => r.runId)));
    const withTrials = trials.size > 0;
    const trialHeader = withTrials ? ["TRIAL"] : [];
    const trialCell = (runId: string) => (withTrials ? [trialLabel(trials.get(runId))] : []);
    if (options.outputFormat === "json" || options.outputFormat === "yaml") {
      const out = rows.map((r) => {
        const own = trials.get(r.runId);
        return own ? { ...r, sweepTrials: own.map((t) => ({ study: t.study, trialNumber: t.trialNumber, state: t.state, value: t.value })) } : r;
      });
      io.out(structured(options.outputFormat, out) ?? json(out));
    } else if (options.outputFormat === "wide") {
      io.out(table(
        ["RUN ID", "NAME", "BENCHMARK", "MODEL", "DATASET", "SEED", "PHASE", "REASON", "ATTEMPT", "IMAGE", "ARTIFACTS", ...trialHeader],
        rows.map((r) => [r.runId, r.name, r.benchmark, `${r.model}@${r.modelVersion}`, r.dataset, r.seed, r.phase, r.reason, r.attemptId, `${r.imageReference} (${r.imageKind})`, r.artifactDir, ...trialCell(r.runId)]),
      ));
    } else {
      io.out(table(["RUN ID", "NAME", "MODEL", "DATASET", "SEED", "PHASE", "REASON", ...trialHeader], rows.map((r) => [r.runId.slice(0, 12), r.name, r.model, r.dataset, r.seed, r.phase, r.reason, ...trialCell(r.runId)])));
    }
    return EXIT_OK;
  } finally {
    index.close();
  }
}

function trialsByRun(rows: readonly SweepTrialRow[]): Map<string, SweepTrialRow[]> {
  const byRun = new Map<string, SweepTrialRow[]>();
  for (const row of rows) {
    if (row.runId === null) continue;
    byRun.set(row.runId, [...(byRun.get(row.runId) ?? []), row]);
  }
  return byRun;
}

/** "<study>#3" (or "<study>#3,#5" for a run two trials sampled). */
export function trialLabel(trials: readonly SweepTrialRow[] | undefined): string {
  if (!trials || trials.length === 0) return "";
  const byStudy = new Map<string, number[]>();
  for (const t of trials) byStudy.set(t.study, [...(byStudy.get(t.study) ?? []), t.trialNumber]);
  return [...byStudy].map(([study, numbers]) => `${study}${numbers.map((n) => `#${n}`).join(",")}`).join(" ");
}
