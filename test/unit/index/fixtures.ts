/** Builders of realistic journal histories for index tests (RunSpec values come from the shared runSpec factory). */
import type { RunSpec } from "../../../src/domain/resources.js";
import type { FailureReason, RunPhase } from "../../../src/domain/run-states.js";
import type { Journal } from "../../../src/journal/journal.js";
import type { JournalRecord, NewJournalRecord } from "../../../src/journal/records.js";
import { RUN_MACHINE_VERSION } from "../../../reconcilers/run-machine.js";
import { runSpec } from "../../helpers/fixtures.js";

export { runSpec };

/** A clock that moves one second forward on every call, so each journal batch gets its own ts. */
export function steppingClock(start = "2026-03-01T10:00:00.000Z"): () => Date {
  let t = Date.parse(start);
  return () => {
    const now = new Date(t);
    t += 1000;
    return now;
  };
}

export function plan(runId: string, overrides: Partial<RunSpec> = {}, name = `${overrides.jobName ?? "job"}-s${overrides.seed ?? 0}-${runId.slice(0, 8)}`): NewJournalRecord {
  return { type: "RUN_PLANNED", runId, name, spec: runSpec(overrides) };
}

export function move(
  runId: string,
  from: RunPhase,
  to: RunPhase,
  event: string,
  ctx: { attempt: number; attemptId?: string; reason?: FailureReason; message?: string; artifactDir?: string },
): NewJournalRecord {
  const context = {
    attempt: ctx.attempt,
    ...(ctx.attemptId ? { attemptId: ctx.attemptId } : {}),
    ...(ctx.reason ? { reason: ctx.reason } : {}),
    ...(ctx.message ? { message: ctx.message } : {}),
    ...(ctx.artifactDir ? { artifactDir: ctx.artifactDir } : {}),
  };
  return {
    type: "RUN_TRANSITION",
    runId,
    ...(ctx.attemptId ? { attemptId: ctx.attemptId } : {}),
    attempt: ctx.attempt,
    event,
    from,
    to,
    ...(ctx.reason ? { reason: ctx.reason } : {}),
    ...(ctx.message ? { message: ctx.message } : {}),
    snapshot: { machineVersion: RUN_MACHINE_VERSION, value: to, context },
  };
}

export function launch(runId: string, attemptId: string, attempt = 1): NewJournalRecord {
  return { type: "LAUNCH_INTENT", runId, attemptId, attempt, executor: "docker", handle: `mv-${attemptId}`, workspaceDir: `/state/workspaces/${attemptId}` };
}

export function exited(runId: string, attemptId: string, exitCode: number | null, oomKilled = false): NewJournalRecord {
  return { type: "ATTEMPT_EXITED", runId, attemptId, exitCode, oomKilled, startedAt: "2026-03-01T10:00:01.500Z", finishedAt: "2026-03-01T10:00:02.500Z" };
}

/** One batch per step, as the controller writes them: a run from PENDING to ARTIFACT_SUCCESS. */
export function successfulRun(runId: string, attemptId = `${runId.slice(0, 12)}-own1-a1`): NewJournalRecord[][] {
  const a = { attempt: 1, attemptId };
  const artifactDir = `/store/runs/${runId}`;
  return [
    [move(runId, "PENDING", "ADMITTED", "ADMIT", a)],
    [launch(runId, attemptId)],
    [move(runId, "ADMITTED", "RUNNING", "STARTED", a)],
    [exited(runId, attemptId, 0)],
    [move(runId, "RUNNING", "TRAINING_SUCCEEDED", "EXITED", a)],
    [move(runId, "TRAINING_SUCCEEDED", "EVALUATING", "VALIDATE", a)],
    [move(runId, "EVALUATING", "PROMOTING", "VALID", a)],
    [{ type: "PROMOTION_INTENT", runId, attemptId, stagingDir: `/store/.staging/${attemptId}`, artifactDir }],
    [{ type: "PROMOTED", runId, attemptId, artifactDir, manifestSha256: "d".repeat(64) }],
    [move(runId, "PROMOTING", "ARTIFACT_SUCCESS", "PROMOTED", { ...a, artifactDir })],
  ];
}

/** A run whose only attempt is OOM-killed. */
export function oomRun(runId: string, attemptId = `${runId.slice(0, 12)}-own1-a1`): NewJournalRecord[][] {
  const a = { attempt: 1, attemptId };
  return [
    [move(runId, "PENDING", "ADMITTED", "ADMIT", a)],
    [launch(runId, attemptId)],
    [move(runId, "ADMITTED", "RUNNING", "STARTED", a)],
    [exited(runId, attemptId, 137, true)],
    [move(runId, "RUNNING", "FAILED", "EXITED", { ...a, reason: "oom_killed", message: "killed by the kernel OOM killer" })],
  ];
}

export const RUN_A = "aaaa1111bbbb2222cccc3333dddd4444";
export const RUN_B = "aaaa9999bbbb2222cccc3333dddd4444";
export const RUN_C = "cccc0000ffff";

/** Three planned runs (A succeeds, B is OOM-killed, C stays pending), appended batch by batch. */
export function writeHistory(journal: Journal): JournalRecord[] {
  const batches: NewJournalRecord[][] = [
    [plan(RUN_A), plan(RUN_B, { seed: 1 }), plan(RUN_C, { jobName: "other_job", benchmark: "second" })],
    ...successfulRun(RUN_A),
    ...oomRun(RUN_B),
  ];
  return batches.flatMap((batch) => journal.append(batch));
}
