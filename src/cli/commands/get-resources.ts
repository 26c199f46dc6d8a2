/**
 * `multiverse get benchmarks|datasets|models` (runs: get-runs.ts). Benchmarks and their status come from the
 * index; what the controller's source declares right now (with its problems) from source-status.json.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT_OK } from "../../domain/errors.js";
import type { Condition } from "../../domain/resources.js";
import type { SourceProblem } from "../../sources/resource-source.js";
import { DatasetCatalog } from "../../catalog/datasets.js";
import type { BenchmarkRow, RunIndex } from "../../index/run-index.js";
import { structured, type OutputFormat } from "../format.js";
import { table, type Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { openIndexFor } from "./get-runs.js";
import { modelCatalog } from "./models.js";

export interface GetOptions extends StateRootOptions {
  outputFormat?: OutputFormat;
  all?: boolean;
}

export interface SourceStatus {
  revision: number;
  resources: { kind: string; name: string; file: string; line: number; stale: boolean }[];
  problems: SourceProblem[];
}

export function readSourceStatus(stateRoot: string): SourceStatus | undefined {
  try {
    return JSON.parse(readFileSync(join(stateRoot, "source-status.json"), "utf8")) as SourceStatus;
  } catch {
    return undefined;
  }
}

export interface BenchmarkView extends BenchmarkRow {
  phaseCounts: Record<string, number>;
}

export function benchmarkViews(index: RunIndex, includeDeleted = false): BenchmarkView[] {
  return index.listBenchmarks({ includeDeleted }).map((b) => ({ ...b, phaseCounts: index.phaseCounts(b.name) }));
}

function conditionStatus(conditions: Condition[], type: string): string {
  const condition = conditions.find((c) => c.type === type);
  return condition ? `${condition.status === "True" ? type : `Not${type}`}(${condition.reason})` : "-";
}

function counts(view: BenchmarkView): string {
  const order = ["PENDING", "ADMITTED", "RUNNING", "ARTIFACT_SUCCESS", "FAILED", "CANCELLED", "RECOVERY_PENDING"];
  const parts = Object.entries(view.phaseCounts)
    .sort(([a], [b]) => (order.indexOf(a) + 100) % 100 - ((order.indexOf(b) + 100) % 100))
    .map(([phase, n]) => `${phase}=${n}`);
  return parts.join(" ") || "no runs";
}

export function getBenchmarksCommand(options: GetOptions, io: Io): number {
  const stateRoot = resolveStateRoot(options);
  const index = openIndexFor(stateRoot);
  try {
    const views = benchmarkViews(index, options.all);
    const source = readSourceStatus(stateRoot);
    const out = structured(options.outputFormat, { items: views, sourceProblems: source?.problems ?? [] });
    if (out !== undefined) {
      io.out(out);
      return EXIT_OK;
    }
    const wide = options.outputFormat === "wide";
    const headers = ["NAME", "GEN", "OBSERVED", "READY", "RUNS", ...(wide ? ["SOURCE", "CONDITIONS"] : [])];
    io.out(
      table(
        headers,
        views.map((v) => [
          `${v.name}${v.deleted ? " (deleted)" : ""}`,
          v.generation,
          v.observedGeneration,
          conditionStatus(v.conditions, "Ready"),
          counts(v),
          ...(wide ? [`${v.file}:${v.line}`, v.conditions.map((c) => `${c.type}=${c.status}`).join(",")] : []),
        ]),
      ),
    );
    for (const problem of source?.problems ?? []) io.err(`warning: ${problem.file}${problem.line ? `:${problem.line}` : ""}: ${problem.field ? `${problem.field}: ` : ""}${problem.message} [${problem.code}]`);
    return EXIT_OK;
  } finally {
    index.close();
  }
}

export function getDatasetsCommand(options: GetOptions, io: Io): number {
  const stateRoot = resolveStateRoot(options);
  const registered = new DatasetCatalog(stateRoot).list().map((d) => ({ name: d.metadata.name, origin: "registered", ...d.spec }));
  const declared = (readSourceStatus(stateRoot)?.resources ?? []).filter((r) => r.kind === "Dataset").map((r) => ({ name: r.name, origin: `${r.file}:${r.line}` }));
  const items = [...registered, ...declared];
  const out = structured(options.outputFormat, { items });
  if (out !== undefined) io.out(out);
  else {
    io.out(
      table(
        ["NAME", "ORIGIN", "MODALITIES", "CELLS", ...(options.outputFormat === "wide" ? ["PATH", "FINGERPRINT"] : [])],
        items.map((d) => {
          const spec = d as { modalities?: string[]; nObs?: number; path?: string; fingerprint?: string };
          return [d.name, d.origin, spec.modalities?.join("+"), spec.nObs, ...(options.outputFormat === "wide" ? [spec.path, spec.fingerprint] : [])];
        }),
      ),
    );
  }
  return EXIT_OK;
}

export function getModelsCommand(options: GetOptions, io: Io): number {
  const stateRoot = resolveStateRoot(options);
  const models = modelCatalog(stateRoot).list();
  const out = structured(options.outputFormat, { items: models });
  if (out !== undefined) io.out(out);
  else {
    io.out(
      table(
        ["MODEL", "VERSION", "OMICS", "IMAGE", ...(options.outputFormat === "wide" ? ["DIRECTORY"] : [])],
        models.map((m) => [m.spec.slug, m.spec.version, m.spec.supportedOmics.join("+") || "any", m.spec.runtime.image, ...(options.outputFormat === "wide" ? [m.spec.directory] : [])]),
      ),
    );
  }
  return EXIT_OK;
}
