import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { RunPhase } from "../../../src/domain/run-states.js";
import type { AttemptObservation } from "../../../src/executors/executor.js";
import { RUN_MACHINE_VERSION } from "../../../reconcilers/run-machine.js";
import { reconcileRun, type ReconcileInput } from "../../../reconcilers/run-reconciler.js";
import { classifyExit } from "../../../reconcilers/exit-classification.js";

const NOW = new Date("2026-01-01T00:10:00Z");

function input(phase: RunPhase, extra: Partial<ReconcileInput> = {}): ReconcileInput {
  return {
    snapshot: { machineVersion: RUN_MACHINE_VERSION, value: phase, context: { attempt: 1, attemptId: "r-o-a1" } },
    cancelRequested: false,
    capacityAvailable: true,
    now: NOW,
    pollIntervalMs: 500,
    ...extra,
  };
}

const running: AttemptObservation = { attemptId: "r-o-a1", state: "running", startedAt: "2026-01-01T00:09:00Z" };
const exited = (exitCode: number | null, oomKilled = false): AttemptObservation => ({ attemptId: "r-o-a1", state: "exited", exitCode, oomKilled });

describe("reconcileRun", () => {
  test("PENDING with capacity asks for admission; without capacity waits", () => {
    assert.deepEqual(reconcileRun(input("PENDING")).action, { type: "admit" });
    const waiting = reconcileRun(input("PENDING", { capacityAvailable: false }));
    assert.equal(waiting.action, undefined);
    assert.equal(waiting.requeueAfterMs, 500);
  });

  test("PENDING + cancel is cancelled without launching", () => {
    const d = reconcileRun(input("PENDING", { cancelRequested: true }));
    assert.deepEqual(d.events, [{ type: "CANCEL" }]);
    assert.equal(d.action, undefined);
  });

  test("ADMITTED with no container launches; with a container (crash after launch) adopts it", () => {
    assert.deepEqual(reconcileRun(input("ADMITTED")).action, { type: "launch", attemptId: "r-o-a1", attempt: 1 });
    assert.deepEqual(reconcileRun(input("ADMITTED", { observation: { attemptId: "r-o-a1", state: "missing" } })).action, { type: "launch", attemptId: "r-o-a1", attempt: 1 });
    assert.deepEqual(reconcileRun(input("ADMITTED", { observation: { attemptId: "r-o-a1", state: "created" } })).action, { type: "launch", attemptId: "r-o-a1", attempt: 1 }, "created but never started");
    const adopted = reconcileRun(input("ADMITTED", { observation: running }));
    assert.deepEqual(adopted.events, [{ type: "STARTED" }]);
    assert.equal(adopted.action, undefined);
  });

  test("RUNNING polls while the container runs", () => {
    const d = reconcileRun(input("RUNNING", { observation: running }));
    assert.deepEqual(d.events, []);
    assert.equal(d.requeueAfterMs, 500);
    assert.equal(d.done, false);
  });

  test("RUNNING exit 0 earns validation, not success; logs are collected first", () => {
    const d = reconcileRun(input("RUNNING", { observation: exited(0) }));
    assert.deepEqual(d.events, [{ type: "EXITED_OK" }]);
    assert.deepEqual(d.action, { type: "collect-logs", attemptId: "r-o-a1" });
  });

  test("RUNNING non-zero exit and OOM are typed failures", () => {
    const nonzero = reconcileRun(input("RUNNING", { observation: exited(1) }));
    assert.equal(nonzero.events[0]?.type, "EXITED_FAILED");
    assert.equal((nonzero.events[0] as { reason: string }).reason, "nonzero_exit");
    const oom = reconcileRun(input("RUNNING", { observation: exited(137, true) }));
    assert.equal((oom.events[0] as { reason: string }).reason, "oom_killed");
  });

  test("RUNNING but the container was only created (crash between create and start) is started again", () => {
    assert.deepEqual(reconcileRun(input("RUNNING", { observation: { attemptId: "r-o-a1", state: "created" } })).action, { type: "launch", attemptId: "r-o-a1", attempt: 1 });
  });

  test("RUNNING container vanished is `lost`", () => {
    const d = reconcileRun(input("RUNNING", { observation: { attemptId: "r-o-a1", state: "missing" } }));
    assert.equal((d.events[0] as { reason: string }).reason, "lost");
  });

  test("RUNNING past its time limit is stopped once, then classified as timeout", () => {
    const stop = reconcileRun(input("RUNNING", { observation: running, timeoutSeconds: 30 }));
    assert.deepEqual(stop.action, { type: "stop", attemptId: "r-o-a1", reason: "timeout" });
    const again = reconcileRun(input("RUNNING", { observation: running, timeoutSeconds: 30, timeoutIssued: true }));
    assert.equal(again.action, undefined);
    const ended = reconcileRun(input("RUNNING", { observation: exited(137), timeoutSeconds: 30, timeoutIssued: true }));
    assert.equal((ended.events[0] as { reason: string }).reason, "timeout");
    const within = reconcileRun(input("RUNNING", { observation: running, timeoutSeconds: 600 }));
    assert.equal(within.action, undefined);
  });

  test("RUNNING + cancel requests cancellation; CANCEL_REQUESTED stops a live container and confirms once it is gone", () => {
    assert.deepEqual(reconcileRun(input("RUNNING", { observation: running, cancelRequested: true })).events, [{ type: "CANCEL" }]);
    const stop = reconcileRun(input("CANCEL_REQUESTED", { observation: running, cancelRequested: true }));
    assert.deepEqual(stop.action, { type: "stop", attemptId: "r-o-a1", reason: "cancel" });
    const confirm = reconcileRun(input("CANCEL_REQUESTED", { observation: exited(143), cancelRequested: true }));
    assert.deepEqual(confirm.events, [{ type: "CANCEL_CONFIRMED" }]);
    assert.deepEqual(confirm.action, { type: "collect-logs", attemptId: "r-o-a1" });
  });

  test("TRAINING_SUCCEEDED moves to validation; EVALUATING validates; PROMOTING promotes", () => {
    assert.deepEqual(reconcileRun(input("TRAINING_SUCCEEDED")).events, [{ type: "VALIDATE" }]);
    assert.deepEqual(reconcileRun(input("EVALUATING")).action, { type: "validate", attemptId: "r-o-a1" });
    assert.deepEqual(reconcileRun(input("PROMOTING")).action, { type: "promote", attemptId: "r-o-a1" });
  });

  test("terminal phases and RECOVERY_PENDING need nothing more", () => {
    for (const phase of ["ARTIFACT_SUCCESS", "FAILED", "CANCELLED", "RECOVERY_PENDING"] as const) {
      const d = reconcileRun(input(phase, { cancelRequested: true }));
      assert.equal(d.done, true, phase);
      assert.deepEqual(d.events, []);
      assert.equal(d.action, undefined);
    }
  });

  test("phases that need an attempt id go to recovery without one", () => {
    for (const phase of ["ADMITTED", "RUNNING", "EVALUATING", "PROMOTING"] as const) {
      const d = reconcileRun({ ...input(phase), snapshot: { machineVersion: RUN_MACHINE_VERSION, value: phase, context: { attempt: 1 } } });
      assert.equal(d.events[0]?.type, "RECOVERY_NEEDED", phase);
    }
  });

  test("reconcile is idempotent: the same input gives the same decision", () => {
    const a = reconcileRun(input("RUNNING", { observation: exited(0) }));
    const b = reconcileRun(input("RUNNING", { observation: exited(0) }));
    assert.deepEqual(a, b);
  });
});

describe("classifyExit", () => {
  test("exit 0 is ok; non-zero names the code and signal", () => {
    assert.deepEqual(classifyExit(exited(0), {}), { ok: true });
    const sig = classifyExit(exited(143), {});
    assert.equal(sig.ok, false);
    assert.match((sig as { message: string }).message, /code 143 \(signal 15\)/);
  });

  test("137 under a memory limit is treated as OOM even when the engine did not flag it", () => {
    const outcome = classifyExit(exited(137), { memLimitBytes: 64 * 1024 * 1024 });
    assert.equal((outcome as { reason: string }).reason, "oom_killed");
    assert.match((outcome as { message: string }).message, /64 MiB/);
  });

  test("no exit code at all is `lost`", () => {
    assert.equal((classifyExit(exited(null), {}) as { reason: string }).reason, "lost");
  });
});
