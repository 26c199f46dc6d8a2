import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { finalizerAction } from "../../../controllers/cancel-finalizer.js";
import { sourceSettings } from "../../../src/cli/commands/controller-source-flags.js";
import { isMultiverseError } from "../../../src/domain/errors.js";
import type { KubeObject } from "../../../src/sources/kubernetes/kube-objects.js";

const F = "multiverse.io/cancel-runs";
const benchmark = (meta: Partial<KubeObject["metadata"]> = {}): KubeObject => ({ metadata: { name: "demo", namespace: "ns", uid: "u1", ...meta } });
const view = (unfinished: number, deleted: boolean) => ({ unfinishedRuns: () => unfinished, benchmarkDeleted: () => deleted });

describe("finalizerAction", () => {
  test("first seen without finalizers: add the list, guarded by the uid", () => {
    assert.deepEqual(finalizerAction(benchmark(), view(0, false)), { kind: "add", operations: [{ op: "test", path: "/metadata/uid", value: "u1" }, { op: "add", path: "/metadata/finalizers", value: [F] }] });
  });

  test("other finalizers present: append, guarded by a test of the list as seen", () => {
    assert.deepEqual(finalizerAction(benchmark({ finalizers: ["x"] }), view(0, false)), {
      kind: "add",
      operations: [{ op: "test", path: "/metadata/uid", value: "u1" }, { op: "test", path: "/metadata/finalizers", value: ["x"] }, { op: "add", path: "/metadata/finalizers/-", value: F }],
    });
  });

  test("already there and not deleted: nothing", () => {
    assert.deepEqual(finalizerAction(benchmark({ finalizers: [F] }), view(3, false)), { kind: "none" });
  });

  test("being deleted with unfinished runs, or the deletion not journaled yet: wait", () => {
    const deleting = benchmark({ finalizers: ["x", F], deletionTimestamp: "2026-01-01T00:00:00Z" });
    assert.deepEqual(finalizerAction(deleting, view(2, true)), { kind: "wait", unfinished: 2 });
    assert.deepEqual(finalizerAction(deleting, view(0, false)), { kind: "wait", unfinished: 0 });
  });

  test("deleted in the journal and every run terminal: remove our finalizer at its index only", () => {
    const deleting = benchmark({ finalizers: ["x", F], deletionTimestamp: "2026-01-01T00:00:00Z" });
    assert.deepEqual(finalizerAction(deleting, view(0, true)), {
      kind: "remove",
      operations: [{ op: "test", path: "/metadata/uid", value: "u1" }, { op: "test", path: "/metadata/finalizers/1", value: F }, { op: "remove", path: "/metadata/finalizers/1" }],
    });
  });

  test("being deleted without our finalizer: nothing (another owner's deletion)", () => {
    assert.deepEqual(finalizerAction(benchmark({ finalizers: ["x"], deletionTimestamp: "t" }), view(1, false)), { kind: "none" });
  });
});

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isMultiverseError(error));
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail("expected a usage error");
}

describe("controller source flags", () => {
  test("files is the default and needs --watch", () => {
    assert.deepEqual(sourceSettings({ watch: "/w" }), { source: { kind: "files", watch: "/w" } });
    assert.match(usageError(() => sourceSettings({})), /--source files needs --watch/);
  });

  test("Kubernetes flags without --source kubernetes are refused, naming them", () => {
    assert.match(usageError(() => sourceSettings({ watch: "/w", namespace: "a", allNamespaces: true })), /--namespace, --all-namespaces need --source kubernetes/);
  });

  test("--source kubernetes: --watch, both namespace flags, a bad namespace, a missing kubeconfig are refused", () => {
    assert.match(usageError(() => sourceSettings({ source: "kubernetes", watch: "/w" })), /--watch is for --source files/);
    assert.match(usageError(() => sourceSettings({ source: "kubernetes", namespace: "a", allNamespaces: true })), /not both/);
    assert.match(usageError(() => sourceSettings({ source: "kubernetes", namespace: "Bad_NS" })), /not a namespace name/);
    assert.match(usageError(() => sourceSettings({ source: "kubernetes", kubeconfig: "/no/such/kubeconfig" })), /--kubeconfig: no such file/);
    assert.deepEqual(sourceSettings({ source: "kubernetes", allNamespaces: true }), { source: { kind: "kubernetes", allNamespaces: true } });
  });

  test("leader election: needs kubernetes, its flags need --leader-elect, defaults 15/10/2 s", () => {
    assert.match(usageError(() => sourceSettings({ watch: "/w", leaderElect: true })), /needs --source kubernetes/);
    assert.match(usageError(() => sourceSettings({ source: "kubernetes", leaderElectLeaseName: "x" })), /--leader-elect-lease-name need --leader-elect/);
    assert.match(usageError(() => sourceSettings({ source: "kubernetes", leaderElect: true, leaderElectLeaseDuration: 5 })), /lease-duration must be longer/);
    assert.match(usageError(() => sourceSettings({ source: "kubernetes", leaderElect: true, leaderElectLeaseName: "Not Valid" })), /not an object name/);
    assert.deepEqual(sourceSettings({ source: "kubernetes", namespace: "ns", leaderElect: true }).leader, { leaseName: "multiverse-controller", leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
  });
});
