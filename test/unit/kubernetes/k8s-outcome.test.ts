/** Outcome classification from Job and Pod status objects (the shapes the API server returns). */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { observationOf, type AttemptView } from "../../../src/executors/kubernetes/outcome.js";

const started = new Date("2026-01-01T00:00:00Z");
const finished = new Date("2026-01-01T00:01:00Z");

function pod(status: V1Pod["status"]): V1Pod {
  return { metadata: { name: "mv-a1-xyz" }, status };
}
function terminated(exitCode: number, reason = exitCode === 0 ? "Completed" : "Error"): V1Pod {
  return pod({ phase: exitCode === 0 ? "Succeeded" : "Failed", containerStatuses: [{ name: "model", image: "i", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode, reason, startedAt: started, finishedAt: finished } } }] });
}
function waiting(reason: string, message = "m"): V1Pod {
  return pod({ phase: "Pending", containerStatuses: [{ name: "model", image: "ghost:0", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason, message } } }] });
}
function job(conditions: Array<{ type: string; reason?: string; message?: string }> = [], activeDeadlineSeconds?: number): V1Job {
  return { metadata: { name: "mv-a1" }, spec: { template: {}, ...(activeDeadlineSeconds ? { activeDeadlineSeconds } : {}) }, status: { conditions: conditions.map((c) => ({ ...c, status: "True" })) } };
}
function view(overrides: Partial<AttemptView>): AttemptView {
  return { attemptId: "a1", job: job(), jobDeleted: false, podDeleted: false, cancelled: false, ...overrides };
}

describe("outcome classification", () => {
  test("a Job without a pod, or with a pending one, is submitted (running, with the scheduler's reason); a running container is running", () => {
    assert.equal(observationOf(view({})).state, "running", "never created: the controller would launch it again and again");
    const unscheduled = observationOf(view({ pod: pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes have enough memory" }] }) }));
    assert.equal(unscheduled.state, "running");
    assert.match(unscheduled.error ?? "", /not scheduled yet: 0\/1 nodes have enough memory/);
    const running = observationOf(view({ pod: pod({ phase: "Running", containerStatuses: [{ name: "model", image: "i", imageID: "", ready: true, restartCount: 0, state: { running: { startedAt: started } } }] }) }));
    assert.deepEqual(running, { attemptId: "a1", state: "running", startedAt: started.toISOString() });
    const created = new Date("2025-12-31T23:59:58Z");
    const withJob = observationOf(view({ job: { ...job(), metadata: { name: "mv-a1", creationTimestamp: created } }, pod: terminated(0) }));
    assert.equal(withJob.startedAt, created.toISOString(), "startedAt is the Job's creation: the same in every observation");
  });

  test("the container's exit code, with OOMKilled as oomKilled", () => {
    assert.deepEqual(observationOf(view({ pod: terminated(0), job: job([{ type: "Complete" }]) })), { attemptId: "a1", state: "exited", exitCode: 0, oomKilled: false, startedAt: started.toISOString(), finishedAt: finished.toISOString() });
    const failedJob = job([{ type: "Failed", reason: "BackoffLimitExceeded" }]);
    assert.equal(observationOf(view({ pod: terminated(3), job: failedJob })).exitCode, 3);
    assert.equal(observationOf(view({ pod: terminated(3) })).state, "running", "the container ended, the Job has no verdict yet: wait for it");
    assert.equal(observationOf(view({ pod: terminated(3), jobDeleted: true })).exitCode, 3, "no Job to wait for");
    const oom = observationOf(view({ pod: terminated(137, "OOMKilled"), job: job([{ type: "Failed", reason: "BackoffLimitExceeded" }]) }));
    assert.equal(oom.oomKilled, true);
    assert.equal(oom.exitCode, 137);
    assert.equal(oom.failure, undefined);
  });

  test("an image the node cannot have is image_missing, whatever the pull error", () => {
    for (const reason of ["ErrImageNeverPull", "ImagePullBackOff", "ErrImagePull", "InvalidImageName"]) {
      const o = observationOf(view({ pod: waiting(reason) }));
      assert.equal(o.state, "exited", reason);
      assert.equal(o.failure?.reason, "image_missing", reason);
      assert.match(o.failure?.message ?? "", new RegExp(`ghost:0 \\(${reason}: m\\)`));
    }
    assert.equal(observationOf(view({ pod: waiting("CreateContainerConfigError") })).failure?.reason, "launch_error");
    assert.equal(observationOf(view({ pod: waiting("ContainerCreating") })).state, "running", "an ordinary wait is not a failure");
  });

  test("a pod deleted while its container ran is lost; one deleted after it ended (a TTL) keeps its exit code", () => {
    const killed = terminated(143);
    killed.metadata = { ...killed.metadata, deletionTimestamp: new Date(started.getTime() + 31_000), deletionGracePeriodSeconds: 30 };
    assert.equal(observationOf(view({ pod: killed, job: job([{ type: "FailureTarget", reason: "PodFailurePolicy" }]) })).failure?.reason, "lost");
    const expired = terminated(0);
    expired.metadata = { ...expired.metadata, deletionTimestamp: new Date(finished.getTime() + 600_000), deletionGracePeriodSeconds: 30 };
    const kept = observationOf(view({ pod: expired, job: job([{ type: "Complete" }]) }));
    assert.equal(kept.exitCode, 0);
    assert.equal(kept.failure, undefined);
  });

  test("a container the kubelet killed for a deletion with no end time (or the zero time) is lost too", () => {
    for (const finishedAt of [undefined, new Date(0)]) {
      const killed = pod({ phase: "Failed", containerStatuses: [{ name: "model", image: "i", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: "Error", startedAt: started, ...(finishedAt ? { finishedAt } : {}) } } }] });
      killed.metadata = { ...killed.metadata, creationTimestamp: started, deletionTimestamp: new Date(started.getTime() + 31_000), deletionGracePeriodSeconds: 30 };
      const observed = observationOf(view({ pod: killed, job: job([{ type: "Failed", reason: "BackoffLimitExceeded" }]) }));
      assert.equal(observed.failure?.reason, "lost", String(finishedAt));
    }
  });

  test("the Job's deadline is a timeout as soon as the Job controller marks it (FailureTarget), before the pod ends", () => {
    assert.equal(observationOf(view({ job: job([{ type: "FailureTarget", reason: "DeadlineExceeded" }], 5), pod: pod({ phase: "Running" }) })).failure?.reason, "timeout");
  });

  test("the Job's deadline is a timeout even though the container was killed", () => {
    const o = observationOf(view({ job: job([{ type: "Failed", reason: "DeadlineExceeded" }], 30), pod: terminated(137) }));
    assert.equal(o.failure?.reason, "timeout");
    assert.match(o.failure?.message ?? "", /activeDeadlineSeconds \(30 s\)/);
  });

  test("eviction, preemption and a lost node are infrastructure failures, not the model's exit", () => {
    const disrupted = (reason: string) => pod({ phase: "Failed", conditions: [{ type: "DisruptionTarget", status: "True", reason }], containerStatuses: [{ name: "model", image: "i", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } }] });
    assert.equal(observationOf(view({ pod: disrupted("EvictionByEvictionAPI") })).failure?.reason, "preempted");
    assert.equal(observationOf(view({ pod: disrupted("PreemptionByScheduler") })).failure?.reason, "preempted");
    assert.equal(observationOf(view({ pod: disrupted("TerminationByKubelet") })).failure?.reason, "preempted");
    assert.equal(observationOf(view({ pod: disrupted("DeletionByTaintManager") })).failure?.reason, "node_fail");
    assert.equal(observationOf(view({ pod: disrupted("DeletionByPodGC") })).failure?.reason, "node_fail");
    assert.equal(observationOf(view({ pod: pod({ phase: "Failed", reason: "Evicted", message: "low on memory" }) })).failure?.reason, "preempted");
    assert.equal(observationOf(view({ pod: pod({ phase: "Failed", reason: "NodeLost" }) })).failure?.reason, "node_fail");
  });

  test("a pod or Job deleted outside multiverse is lost; a Job that failed without a container exit too", () => {
    const running = pod({ phase: "Running" });
    assert.equal(observationOf(view({ pod: running, podDeleted: true })).failure?.reason, "lost");
    assert.equal(observationOf(view({ pod: running, jobDeleted: true })).state, "running", "the pod still runs: not over yet");
    assert.equal(observationOf(view({ jobDeleted: true })).failure?.reason, "lost");
    assert.equal(observationOf(view({ job: job([{ type: "Failed", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }]) })).failure?.reason, "lost");
  });

  test("a cancelled attempt runs until its pod has stopped, then exits with the container's code or none", () => {
    const running = pod({ phase: "Running" });
    assert.equal(observationOf(view({ pod: running, jobDeleted: true, cancelled: true })).state, "running");
    const gone = observationOf(view({ pod: running, jobDeleted: true, podDeleted: true, cancelled: true }));
    assert.equal(gone.state, "exited");
    assert.equal(gone.exitCode, null);
    assert.equal(gone.failure, undefined, "the controller knows it cancelled: no failure of its own");
    assert.equal(observationOf(view({ pod: terminated(143), cancelled: true })).exitCode, 143, "a cancelled attempt does not wait for the Job's verdict");
    const evictedWhileCancelling = pod({ phase: "Failed", conditions: [{ type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI" }] });
    assert.equal(observationOf(view({ pod: evictedWhileCancelling, cancelled: true })).failure, undefined);
  });
});
