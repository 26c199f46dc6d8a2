/**
 * Evaluating one launch: readiness of every member, the trimmed eval_config.json in a fresh workspace, the evaluator
 * run through an executor, its outputs checked and moved into the launch dir, start and finish journaled. Promoted
 * bundles are only ever mounted read-only. An evaluator that crashes leaves every ready member evaluation_failed.
 */
import { mkdirSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Executor } from "../executors/executor.js";
import type { JournalWriter } from "../journal/journal-writer.js";
import type { RunRecord } from "../journal/run-records.js";
import { readCohort, launchDir, writeJsonAtomic } from "./launch-store.js";
import { DatasetChecker, readinessOf } from "./readiness-facts.js";
import { buildEvalConfig, EVAL_CONFIG_FILE, type AssessedMember } from "./eval-config.js";
import type { EvaluatorSpec } from "./evaluator-spec.js";
import { evaluatorLaunchRequest, runEvaluator, type EvaluatorExit } from "./evaluator-launch.js";
import { checkOutputs, EVALUATION_RUN_FILE, REPORT_FILE } from "./output-check.js";
import { hostMemberEvaluation } from "./member-files.js";
import { moveIntoLaunch, readParsed, readWorkspaceOutputs, writeMemberFiles } from "./evaluation-outputs.js";
import { choosePreset, type MetricsPreset } from "./metrics-preset.js";
import { newLaunchId } from "./launch-id.js";

export interface EvaluateLaunchRequest {
  stateRoot: string;
  launchId: string;
  metrics?: MetricsPreset;
  evaluator: EvaluatorSpec;
  executor: Executor;
  writer: JournalWriter;
  /** The runs as the journal has them now. */
  runs: ReadonlyMap<string, RunRecord>;
  artifactsRoot: string;
  ownerId: string;
  jaxCacheDir: string;
  onProgress?: (message: string) => void;
  now?: () => Date;
}

export interface MemberOutcome {
  member_id: string;
  name: string;
  model: string;
  dataset: string;
  seed: number;
  readiness: string;
  status: string;
  reason: string | null;
}

export interface EvaluateLaunchOutcome {
  launchId: string;
  evaluationId: string;
  launchDir: string;
  status: "done" | "failed";
  /** Why the evaluation failed (failed only). */
  error?: string;
  metrics: MetricsPreset;
  members: MemberOutcome[];
  reportFile: string | null;
  elapsedSeconds: number;
}

function statusOfFile(file: unknown): string | null {
  return typeof file === "object" && file !== null && "status" in file && typeof file.status === "string" ? file.status : null;
}

function reasonOfFile(file: unknown): string | null {
  return typeof file === "object" && file !== null && "reason" in file && typeof file.reason === "string" ? file.reason : null;
}

function crashMessage(exit: EvaluatorExit): string {
  const how = exit.oomKilled ? "ran out of memory" : exit.exitCode === null ? `did not finish (${exit.error ?? "no exit code"})` : `exited with code ${exit.exitCode}`;
  const last = exit.tail.split("\n").filter(Boolean).at(-1);
  return `the evaluator ${how}${last ? `: ${last}` : ""}`;
}

export async function evaluateLaunch(request: EvaluateLaunchRequest): Promise<EvaluateLaunchOutcome> {
  const now = request.now ?? (() => new Date());
  const started = now();
  const cohort = readCohort(request.stateRoot, request.launchId);
  const dir = launchDir(request.stateRoot, request.launchId);
  const metrics = choosePreset(request.metrics, undefined, [cohort.metrics_preset]);
  const datasets = new DatasetChecker();
  const assessed: AssessedMember[] = [];
  for (const member of cohort.members) assessed.push({ member, readiness: await readinessOf(member, { runs: request.runs, artifactsRoot: request.artifactsRoot }, datasets) });
  const { config, mounts } = buildEvalConfig({ launchId: cohort.launch_id, metrics, assessed });
  const ready = assessed.filter((a) => a.readiness.status === "ready").length;

  const evaluationId = `eval-${newLaunchId(started)}`;
  const workspace = join(dir, "work", evaluationId);
  mkdirSync(workspace, { recursive: true });
  mkdirSync(request.jaxCacheDir, { recursive: true });
  writeJsonAtomic(join(workspace, EVAL_CONFIG_FILE), config);
  const generation = cohort.generation ?? undefined;
  const common = { launchId: cohort.launch_id, evaluationId, benchmark: cohort.benchmark, ...(generation !== undefined ? { generation } : {}) };
  request.writer.append([{ type: "EVALUATION_STARTED", ...common, metrics, backend: request.executor.backend, evaluator: `${request.evaluator.name} ${request.evaluator.version}`, members: cohort.members.length, ready }]);
  request.onProgress?.(`evaluating launch ${cohort.launch_id}: ${ready}/${cohort.members.length} members ready, metrics ${metrics}, evaluator ${request.evaluator.name} ${request.evaluator.version} (${request.executor.backend})`);
  for (const { member, readiness } of assessed) {
    if (readiness.status !== "ready") request.onProgress?.(`  ${member.name}: ${readiness.status}: ${readiness.reason ?? ""}`);
  }

  let failure: string | undefined;
  const logFile = join(dir, "evaluator.log");
  if (ready > 0) {
    try {
      const exit = await runEvaluator(request.executor, evaluatorLaunchRequest(request.evaluator, { attemptId: evaluationId, ownerId: request.ownerId, workspaceDir: workspace, jaxCacheDir: request.jaxCacheDir, inputs: mounts }, request.executor.backend), logFile, (line) => request.onProgress?.(`  evaluator: ${line}`));
      if (exit.exitCode !== 0) failure = crashMessage(exit);
    } catch (error) {
      failure = `the evaluator could not be started: ${(error as Error).message}`;
    }
  }

  const memberIds = cohort.members.map((m) => m.member_id);
  const outputs = readWorkspaceOutputs(workspace, memberIds);
  const verdict = failure === undefined && ready > 0 ? checkOutputs({ launchId: cohort.launch_id, memberIds, ...outputs }) : undefined;
  if (verdict && !verdict.reportOk) failure = `the evaluator's outputs are unusable: ${verdict.problems.join("; ")}`;
  // The host writes the files of members nobody else evaluated: all of them after a crash, else the missing ones.
  const hostWritten = new Map<string, unknown>();
  const uncovered = failure !== undefined || !verdict ? new Set(memberIds) : new Set(verdict.missingMembers);
  const why = failure ?? (ready === 0 ? "no member is ready" : "the evaluator wrote no evaluation for this member");
  for (const { member, readiness } of assessed) if (uncovered.has(member.member_id)) hostWritten.set(member.member_id, hostMemberEvaluation(member, readiness, why));
  if (failure !== undefined) rmSync(join(workspace, "evaluations"), { recursive: true, force: true });
  writeMemberFiles(workspace, hostWritten);
  const names = failure === undefined && ready > 0 ? undefined : ["evaluations"];
  moveIntoLaunch(workspace, dir, join(dir, "work", `${evaluationId}.previous`), names);
  writeJsonAtomic(join(dir, EVAL_CONFIG_FILE), config);

  const members: MemberOutcome[] = assessed.map(({ member, readiness }) => {
    const file = readParsed(join(dir, "evaluations", `${member.member_id}.json`));
    const value = file.kind === "json" ? file.value : undefined;
    return { member_id: member.member_id, name: member.name, model: member.model, dataset: member.dataset, seed: member.seed, readiness: readiness.status, status: statusOfFile(value) ?? "evaluation_failed", reason: reasonOfFile(value) };
  });
  const statuses: Record<string, number> = {};
  for (const m of members) statuses[m.status] = (statuses[m.status] ?? 0) + 1;
  const status = failure === undefined ? "done" : "failed";
  const finished = now();
  const reportFile = status === "done" && ready > 0 ? join(dir, REPORT_FILE) : null;
  writeJsonAtomic(join(dir, EVALUATION_RUN_FILE), {
    evaluation_id: evaluationId,
    launch_id: cohort.launch_id,
    status,
    error: failure ?? null,
    metrics,
    backend: request.executor.backend,
    evaluator: { name: request.evaluator.name, version: request.evaluator.version, image: request.evaluator.image },
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    log: ready > 0 ? logFile : null,
    problems: verdict?.problems ?? [],
    members,
  });
  request.writer.append([{ type: "EVALUATION_FINISHED", ...common, status, ...(failure ? { message: failure } : {}), statuses }]);
  rmSync(workspace, { recursive: true, force: true });
  try {
    rmdirSync(join(dir, "work"));
  } catch {
    // another evaluation's workspace is still there
  }
  const outcome: EvaluateLaunchOutcome = { launchId: cohort.launch_id, evaluationId, launchDir: dir, status, metrics, members, reportFile, elapsedSeconds: (finished.getTime() - started.getTime()) / 1000 };
  if (failure !== undefined) outcome.error = failure;
  return outcome;
}
