import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT_OK } from "../../domain/errors.js";
import { verifyBundle } from "../../artifacts/verify.js";
import { json, table, type Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { openIndexFor } from "./get-runs.js";
import { describeProjection, type AttemptProjectionState } from "../../tracking/projection-state.js";
import type { TrackingProjectionRow } from "../../index/run-index.js";

export interface DescribeRunOptions extends StateRootOptions {
  outputFormat?: "json" | "text";
}

export async function describeRunCommand(idOrPrefix: string, options: DescribeRunOptions, io: Io): Promise<number> {
  const stateRoot = resolveStateRoot(options);
  const index = openIndexFor(stateRoot);
  try {
    const run = index.getRun(idOrPrefix);
    const attempts = index.attempts(run.runId);
    const transitions = index.transitions(run.runId);
    const sweepTrials = index.sweepTrials([run.runId]);
    const bundle = run.artifactDir && existsSync(run.artifactDir) ? await verifyBundle(run.artifactDir) : undefined;
    const tracking = index.trackingProjections(run.runId).map(projectionState);
    if (options.outputFormat === "json") {
      io.out(json({ run, attempts, transitions, bundle: bundle ? { ok: bundle.ok, problems: bundle.problems } : null, tracking, ...(sweepTrials.length > 0 ? { sweepTrials } : {}) }));
      return EXIT_OK;
    }
    const lines: string[] = [];
    lines.push(`Name:          ${run.name}`);
    lines.push(`Run ID:        ${run.runId}`);
    lines.push(`Benchmark:     ${run.benchmark} (job ${run.jobName})`);
    lines.push(`Model:         ${run.model} ${run.modelVersion}`);
    lines.push(`Image:         ${run.imageReference} (${run.imageKind} ${run.imageDigest})`);
    lines.push(`Dataset:       ${run.dataset}`);
    lines.push(`Seed:          ${run.seed}`);
    lines.push(`Params:        ${run.params} (hash ${run.paramsHash})`);
    lines.push(`Phase:         ${run.phase}${run.reason ? ` (${run.reason})` : ""}`);
    if (run.message) lines.push(`Message:       ${run.message}`);
    lines.push(`Attempt:       ${run.attempt ?? "-"} ${run.attemptId ?? ""}`);
    if (run.artifactDir) {
      lines.push(`Artifacts:     ${run.artifactDir}`);
      lines.push(`Bundle:        ${bundle ? (bundle.ok ? "verified (checksums match)" : `FAILS VERIFICATION: ${bundle.problems.join("; ")}`) : "missing on disk"}`);
    }
    if (run.workspaceDir) lines.push(`Workspace:     ${run.workspaceDir}`);
    for (const trial of sweepTrials) {
      const told = trial.state === "COMPLETE" ? `COMPLETE ${trial.value}` : trial.state;
      lines.push(`Sweep trial:   ${trial.study} #${trial.trialNumber}: ${told}${trial.message ? ` (${trial.message})` : ""} [${trial.storage}]`);
    }
    for (const t of tracking) lines.push(`MLflow:        ${t.attemptId}: ${describeProjection(t)}`);
    lines.push("", "Attempts:");
    lines.push(indent(table(["ATTEMPT", "PHASE", "REASON", "EXIT", "OOM", "STARTED", "FINISHED", "WORKSPACE"], attempts.map((a) => [a.attemptId, a.phase, a.reason, a.exitCode, a.oomKilled ? "yes" : "no", a.startedAt, a.finishedAt, a.workspaceDir]))));
    lines.push("", "Transitions:");
    lines.push(indent(table(["SEQ", "TIME", "EVENT", "FROM", "TO", "REASON"], transitions.map((t) => [t.seq, t.ts, t.event, t.from, t.to, t.reason]))));
    const lastAttempt = attempts[attempts.length - 1];
    if (lastAttempt?.workspaceDir) {
      const logFile = join(lastAttempt.workspaceDir, "orchestrator.log");
      if (existsSync(logFile)) {
        const tail = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-8);
        lines.push("", `orchestrator.log (last ${tail.length} lines):`, ...tail.map((l) => `  ${l}`));
      }
    }
    io.out(lines.join("\n"));
    return EXIT_OK;
  } finally {
    index.close();
  }
}

function indent(text: string): string {
  return text.split("\n").map((l) => `  ${l}`).join("\n");
}

function projectionState(row: TrackingProjectionRow): AttemptProjectionState {
  return {
    attemptId: row.attemptId,
    state: row.state,
    trackingUri: row.trackingUri,
    experimentName: row.experimentName,
    ...(row.experimentId !== null ? { experimentId: row.experimentId } : {}),
    ...(row.mlflowRunId !== null ? { mlflowRunId: row.mlflowRunId } : {}),
    ...(row.message !== null ? { message: row.message } : {}),
    ts: row.updatedAt,
  };
}
