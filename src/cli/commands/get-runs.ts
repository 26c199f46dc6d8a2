import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { RunIndex, indexPath, rebuildIndex } from "../../index/run-index.js";
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
    if (options.outputFormat === "json" || options.outputFormat === "yaml") {
      io.out(structured(options.outputFormat, rows) ?? json(rows));
    } else if (options.outputFormat === "wide") {
      io.out(table(
        ["RUN ID", "NAME", "BENCHMARK", "MODEL", "DATASET", "SEED", "PHASE", "REASON", "ATTEMPT", "IMAGE", "ARTIFACTS"],
        rows.map((r) => [r.runId, r.name, r.benchmark, `${r.model}@${r.modelVersion}`, r.dataset, r.seed, r.phase, r.reason, r.attemptId, `${r.imageReference} (${r.imageKind})`, r.artifactDir]),
      ));
    } else {
      io.out(table(["RUN ID", "NAME", "MODEL", "DATASET", "SEED", "PHASE", "REASON"], rows.map((r) => [r.runId.slice(0, 12), r.name, r.model, r.dataset, r.seed, r.phase, r.reason])));
    }
    return EXIT_OK;
  } finally {
    index.close();
  }
}
