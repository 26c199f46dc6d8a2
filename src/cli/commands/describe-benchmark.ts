/** `multiverse describe benchmark NAME`: generation, conditions, events (the journal's benchmark records), runs. */
import { describeOrigin, fileOrigin } from "../../domain/origin.js";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { readJournal } from "../../journal/journal.js";
import { structured, type OutputFormat } from "../format.js";
import { table, type Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { benchmarkViews, readSourceStatus } from "./get-resources.js";
import { openIndexFor } from "./get-runs.js";
import { loadReport } from "../../evaluation/launch-report.js";
import { formatReport } from "../../evaluation/report-format.js";
import { summarizeReport, type EvaluationSummary } from "../../evaluation/evaluation-summary.js";

/** The benchmark's latest evaluated launch, when it has one. */
function latestEvaluation(stateRoot: string, name: string): { launchId: string; summary: EvaluationSummary; table: string } | undefined {
  try {
    const { launchId, report } = loadReport(stateRoot, { benchmark: name });
    return { launchId, summary: summarizeReport(report), table: formatReport(report, "table") };
  } catch {
    return undefined;
  }
}

export function describeBenchmarkCommand(name: string, options: StateRootOptions & { outputFormat?: OutputFormat }, io: Io): number {
  const stateRoot = resolveStateRoot(options);
  const index = openIndexFor(stateRoot);
  try {
    const view = benchmarkViews(index, true).find((b) => b.name === name);
    if (!view) {
      const known = index.listBenchmarks({ includeDeleted: true }).map((b) => b.name);
      throw Errors.notFound(`no benchmark named "${name}"`, { details: [known.length ? `known: ${known.join(", ")}` : "no benchmarks are known in this state root"] });
    }
    const runs = index.listRuns({ benchmark: name });
    const events = readJournal(stateRoot)
      .records.filter((r) => (r.type === "BENCHMARK_APPLIED" || r.type === "BENCHMARK_DELETED" || r.type === "BENCHMARK_STATUS") && r.name === name)
      .map((r) => {
        if (r.type === "BENCHMARK_APPLIED") return { ts: r.ts, type: "Applied", message: `generation ${r.generation} from ${describeOrigin(r.origin ?? fileOrigin(r.file ?? "?", r.line))} (${r.jobs} jobs, spec ${r.specHash.slice(0, 12)})` };
        if (r.type === "BENCHMARK_DELETED") return { ts: r.ts, type: "Deleted", message: `generation ${r.generation}: no longer declared` };
        const ready = r.type === "BENCHMARK_STATUS" ? r.conditions.find((c) => c.type === "Ready") : undefined;
        return { ts: r.ts, type: "Status", message: ready ? `${ready.status === "True" ? "Ready" : "NotReady"} (${ready.reason}): ${ready.message}` : "status updated" };
      });
    const problems = (readSourceStatus(stateRoot)?.problems ?? []).filter((p) => p.file === view.file);
    const evaluation = latestEvaluation(stateRoot, name);
    const out = structured(options.outputFormat, { benchmark: view, runs, events, sourceProblems: problems, evaluation: evaluation ? { launchId: evaluation.launchId, summary: evaluation.summary } : null });
    if (out !== undefined) {
      io.out(out);
      return EXIT_OK;
    }
    const lines = [
      `Name:                ${view.name}${view.deleted ? " (deleted: its runs were cancelled, bundles stay)" : ""}`,
      `Source:              ${view.file}:${view.line}`,
      `Generation:          ${view.generation}`,
      `Observed generation: ${view.observedGeneration ?? "-"}`,
      `Runs:                ${Object.entries(view.phaseCounts).map(([p, n]) => `${p}=${n}`).join(" ") || "none"}`,
      "",
      "Conditions:",
      table(["TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"], view.conditions.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime, c.message])),
    ];
    if (problems.length > 0) {
      lines.push("", "Source problems:");
      for (const p of problems) lines.push(`  ${p.file}${p.line ? `:${p.line}` : ""}: ${p.field ? `${p.field}: ` : ""}${p.message} [${p.code}]`);
    }
    lines.push("", "Runs:", table(["RUN ID", "NAME", "PHASE", "REASON", "ARTIFACTS"], runs.map((r) => [r.runId.slice(0, 12), r.name, r.phase, r.reason, r.artifactDir])));
    lines.push("", "Events:", table(["TIME", "TYPE", "MESSAGE"], events.slice(-20).map((e) => [e.ts, e.type, e.message])));
    if (evaluation) lines.push("", `Evaluation (launch ${evaluation.launchId}; multiverse report --launch ${evaluation.launchId}):`, evaluation.table);
    io.out(lines.join("\n"));
    return EXIT_OK;
  } finally {
    index.close();
  }
}
