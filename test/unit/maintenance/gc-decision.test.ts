import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decideGc, gcTotals, gcViewFromJournal, type GcCandidate, type GcJournalInput, type GcJournalView, type GcPolicy } from "../../../reconcilers/gc.js";
import type { RunPhase } from "../../../src/domain/run-states.js";

const NOW = new Date("2026-01-10T00:00:00Z");
const DAY = 86400;
const policy: GcPolicy = { retentionFailedSeconds: DAY, retentionCancelledSeconds: 3600, applyToPromoted: false, exportRequired: true };

function view(runs: { runId: string; phase: RunPhase; terminalAt?: string; promoted?: string[]; ended?: Record<string, string>; attempts: string[] }[]): GcJournalView {
  const v: GcJournalView = { runs: new Map(), attemptRun: new Map() };
  for (const r of runs) {
    v.runs.set(r.runId, { runId: r.runId, phase: r.phase, ...(r.terminalAt ? { terminalAt: r.terminalAt } : {}), promotedAttempts: r.promoted ?? [], attemptEndedAt: r.ended ?? {} });
    for (const a of r.attempts) v.attemptRun.set(a, r.runId);
  }
  return v;
}

function item(kind: GcCandidate["kind"], attemptId: string | undefined, extra: Partial<GcCandidate> = {}): GcCandidate {
  return { kind, path: `store/${kind}/${attemptId ?? "x"}`, ...(attemptId ? { attemptId } : {}), bytes: 100, files: 2, modifiedAt: "2026-01-01T00:00:00Z", ...extra };
}

function one(v: GcJournalView, c: GcCandidate, p: GcPolicy = policy): { collect: boolean; rule: string; reason: string } {
  const [d] = decideGc(v, [c], p, NOW);
  assert.ok(d);
  return { collect: d.collect, rule: d.rule, reason: d.reason };
}

describe("gc decisions", () => {
  const failedOld = view([{ runId: "r", phase: "FAILED", terminalAt: "2026-01-08T00:00:00Z", attempts: ["r-a1"] }]);
  const failedNew = view([{ runId: "r", phase: "FAILED", terminalAt: "2026-01-09T12:00:00Z", attempts: ["r-a1"] }]);

  test("a failed run's workspace goes once the failed retention has passed, not before", () => {
    assert.deepEqual(one(failedOld, item("workspace", "r-a1")).collect, true);
    assert.equal(one(failedOld, item("workspace", "r-a1")).rule, "failed-retention");
    const young = one(failedNew, item("workspace", "r-a1"));
    assert.equal(young.collect, false);
    assert.match(young.reason, /43200 s ago, kept for 86400 s/);
    assert.equal(one(failedNew, item("workspace", "r-a1"), { ...policy, retentionFailedSeconds: 0 }).collect, true);
  });

  test("the retention boundary is inclusive", () => {
    const exact = view([{ runId: "r", phase: "FAILED", terminalAt: "2026-01-09T00:00:00Z", attempts: ["r-a1"] }]);
    assert.equal(one(exact, item("workspace", "r-a1")).collect, true);
    assert.equal(one(exact, item("workspace", "r-a1"), { ...policy, retentionFailedSeconds: DAY + 1 }).collect, false);
  });

  test("cancelled runs use the cancelled retention", () => {
    const v = view([{ runId: "c", phase: "CANCELLED", terminalAt: "2026-01-09T23:30:00Z", attempts: ["c-a1"] }]);
    assert.deepEqual(one(v, item("workspace", "c-a1")).collect, false);
    assert.equal(one(v, item("workspace", "c-a1"), { ...policy, retentionCancelledSeconds: 1800 }).rule, "cancelled-retention");
    assert.equal(one(v, item("workspace", "c-a1"), { ...policy, retentionCancelledSeconds: 1800 }).collect, true);
    assert.equal(one(v, item("staging", "c-a1"), { ...policy, retentionCancelledSeconds: 60 }).collect, true);
  });

  test("nothing of a run that is not terminal is touched, whatever the retention", () => {
    const open: RunPhase[] = ["PENDING", "ADMITTED", "RUNNING", "TRAINING_SUCCEEDED", "EVALUATING", "PROMOTING", "CANCEL_REQUESTED", "RECOVERY_PENDING"];
    const aggressive: GcPolicy = { retentionFailedSeconds: 0, retentionCancelledSeconds: 0, applyToPromoted: true, exportRequired: false };
    for (const phase of open) {
      const v = view([{ runId: "l", phase, attempts: ["l-a1", "l-a2"], promoted: ["l-a1"] }]);
      for (const kind of ["workspace", "staging", "bundle", "quarantine", "failed-copy"] as const) {
        const d = one(v, item(kind, "l-a1", { exported: true }), aggressive);
        assert.equal(d.collect, false, `${phase} ${kind}`);
        assert.equal(d.rule, "live");
      }
    }
    assert.match(one(view([{ runId: "l", phase: "RECOVERY_PENDING", attempts: ["l-a1"] }]), item("workspace", "l-a1"), aggressive).reason, /multiverse recover/);
  });

  test("what no journaled run owns is kept", () => {
    assert.equal(one(failedOld, item("workspace", "other-a1")).rule, "unknown");
    assert.equal(one(failedOld, item("quarantine", undefined)).collect, false);
    assert.equal(one(failedOld, item("bundle", undefined, { runId: "ghost" }), { ...policy, applyToPromoted: true, exportRequired: false }).collect, false);
  });

  test("promoted bundles: only with --apply-to-promoted, and only exported unless --no-export-required", () => {
    const v = view([{ runId: "s", phase: "ARTIFACT_SUCCESS", terminalAt: "2026-01-09T23:59:00Z", attempts: ["s-a1"], promoted: ["s-a1"] }]);
    assert.deepEqual([one(v, item("bundle", "s-a1", { exported: true })).collect, one(v, item("bundle", "s-a1", { exported: true })).rule], [false, "promoted"]);
    const apply = { ...policy, applyToPromoted: true };
    assert.deepEqual([one(v, item("bundle", "s-a1")).collect, one(v, item("bundle", "s-a1"), apply).rule], [false, "not-exported"]);
    assert.deepEqual([one(v, item("bundle", "s-a1", { exported: true }), apply).collect, one(v, item("bundle", "s-a1", { exported: true }), apply).rule], [true, "promoted-exported"]);
    const any = { ...apply, exportRequired: false };
    assert.deepEqual([one(v, item("bundle", "s-a1"), any).collect, one(v, item("bundle", "s-a1"), any).rule], [true, "promoted-no-export-required"]);
  });

  test("a promoted attempt's workspace and staging go at once; an earlier failed attempt's after the failed retention", () => {
    const v = view([{ runId: "s", phase: "ARTIFACT_SUCCESS", terminalAt: "2026-01-09T23:59:00Z", attempts: ["s-a1", "s-a2"], promoted: ["s-a2"], ended: { "s-a1": "2026-01-09T23:00:00Z" } }]);
    assert.deepEqual(one(v, item("workspace", "s-a2")), { collect: true, rule: "promoted-copy", reason: "the workspace of the promoted attempt (its bundle holds the files)" });
    assert.equal(one(v, item("staging", "s-a2")).collect, true);
    assert.equal(one(v, item("workspace", "s-a1")).collect, false);
    assert.equal(one(v, item("workspace", "s-a1"), { ...policy, retentionFailedSeconds: 3600 }).collect, true);
    // Without a journaled exit, the directory's own age counts.
    const noExit = view([{ runId: "s", phase: "ARTIFACT_SUCCESS", attempts: ["s-a1", "s-a2"], promoted: ["s-a2"] }]);
    assert.equal(one(noExit, item("workspace", "s-a1")).collect, true);
  });

  test("quarantine entries of finished runs age from their own time", () => {
    const v = view([{ runId: "s", phase: "ARTIFACT_SUCCESS", attempts: ["s-a1"], promoted: ["s-a1"] }]);
    assert.equal(one(v, item("quarantine", "s-a1")).rule, "quarantine-retention");
    assert.equal(one(v, item("quarantine", "s-a1")).collect, true);
    assert.equal(one(v, item("quarantine", "s-a1", { modifiedAt: "2026-01-09T23:00:00Z" })).collect, false);
    assert.equal(one(failedNew, item("quarantine", "r-a1", { modifiedAt: "2026-01-01T00:00:00Z" })).collect, true);
  });

  test("a run without a terminal time falls back to the directory's age; a bad date counts as new", () => {
    const v = view([{ runId: "r", phase: "FAILED", attempts: ["r-a1"] }]);
    assert.equal(one(v, item("failed-copy", undefined, { runId: "r" })).collect, true);
    assert.equal(one(v, item("failed-copy", undefined, { runId: "r", modifiedAt: "not a date" })).collect, false);
  });

  test("decisions come in path order and totals add up what is collected and kept", () => {
    const decisions = decideGc(failedOld, [item("workspace", "r-a1", { path: "b", bytes: 10, files: 1 }), item("workspace", "zz", { path: "a", bytes: 5 })], policy, NOW);
    assert.deepEqual(decisions.map((d) => [d.candidate.path, d.collect]), [["a", false], ["b", true]]);
    assert.deepEqual(gcTotals(decisions), { collected: { count: 1, bytes: 10, files: 1 }, kept: { count: 1, bytes: 5 } });
  });
});

describe("gc view of the journal", () => {
  const base = { ts: "2026-01-01T00:00:00Z" };
  const records: GcJournalInput[] = [
    { type: "RUN_PLANNED", runId: "r" },
    { type: "LAUNCH_INTENT", runId: "r", attemptId: "r-a1" },
    { ...base, type: "ATTEMPT_EXITED", runId: "r", attemptId: "r-a1" },
    { ts: "2026-01-02T00:00:00Z", type: "RUN_TRANSITION", runId: "r", to: "FAILED" },
    { type: "LAUNCH_INTENT", runId: "ghost", attemptId: "g-a1" },
    { ...base, type: "RUN_TRANSITION", runId: "ghost", to: "FAILED" },
    { type: "RUN_PLANNED", runId: "s" },
    { type: "PROMOTED", runId: "s", attemptId: "s-a1" },
    { ...base, type: "RUN_TRANSITION", runId: "s", to: "ARTIFACT_SUCCESS" },
    { ...base, type: "RUN_TRANSITION", runId: "s", to: "PENDING" },
    { type: "RUN_REUSED" },
  ];

  test("phases, terminal times, attempts, exits and promotions", () => {
    const v = gcViewFromJournal(records);
    assert.deepEqual(v.runs.get("r"), { runId: "r", phase: "FAILED", terminalAt: "2026-01-02T00:00:00Z", promotedAttempts: [], attemptEndedAt: { "r-a1": "2026-01-01T00:00:00Z" } });
    assert.equal(v.runs.has("ghost"), false);
    assert.equal(v.attemptRun.get("g-a1"), "ghost");
    assert.deepEqual(v.runs.get("s"), { runId: "s", phase: "PENDING", promotedAttempts: ["s-a1"], attemptEndedAt: {} });
  });
});
