/**
 * The Run controller on a real journal and index with the in-memory FakeExecutor: outcomes, retries of
 * infrastructure failures, cancellation, OOM retries with a grown memory limit, adoption after a restart, and a
 * crash between every journaled step of a run (nothing lost, nothing launched or promoted twice, index in sync).
 */
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { verifyBundle } from "../../../src/artifacts/verify.js";
import { readJournal } from "../../../src/journal/journal.js";
import { verifyIndex } from "../../../src/index/rebuild.js";
import { indexPath, RunIndex } from "../../../src/index/database.js";
import type { JournalRecord } from "../../../src/journal/records.js";
import { FakeExecutor } from "../../../src/executors/fake/fake-executor.js";
import type { ControllerSession } from "../../../src/services/controller-session.js";
import { eventually, fakeWorld, openFakeSession, plannedRun, type FakeWorld } from "../../helpers/fake-controller.js";

const RUN = "0123456789abcdef0123456789abcdef";

describe("Run controller on the FakeExecutor", () => {
  let world: FakeWorld | undefined;
  let sessions: ControllerSession[] = [];
  afterEach(() => {
    for (const session of sessions) session.close();
    sessions = [];
    world?.cleanup();
    world = undefined;
  });
  const open = (w: FakeWorld, options?: Parameters<typeof openFakeSession>[1]) => {
    const session = openFakeSession(w, options);
    sessions.push(session);
    return session;
  };
  const show = (r: JournalRecord) => (r.type === "RUN_TRANSITION" ? `${r.from}->${r.to}` : r.type);
  // The broker's ledger records ride in the batch of the transition that grants or releases: asserted on their own.
  const isLedger = (r: JournalRecord) => r.type === "RESERVATION_GRANTED" || r.type === "RESERVATION_RELEASED";
  const types = (w: FakeWorld) => readJournal(w.stateRoot).records.filter((r) => !isLedger(r)).map(show);
  const withLedger = (w: FakeWorld) => readJournal(w.stateRoot).records.map(show);

  test("a run that honours the contract is validated and promoted into a verified bundle", async () => {
    world = await fakeWorld("ctl-ok");
    const { controller } = open(world);
    await controller.applyPlan([plannedRun(world, RUN)], { skipCompleted: false });
    const [record] = await controller.runUntilSettled([RUN]);
    assert.equal(record!.snapshot.value, "ARTIFACT_SUCCESS");
    assert.equal((await verifyBundle(record!.snapshot.context.artifactDir!)).ok, true);
    assert.deepEqual(types(world), [
      "RUN_PLANNED",
      "PENDING->ADMITTED",
      "LAUNCH_INTENT",
      "ADMITTED->RUNNING",
      "ATTEMPT_EXITED",
      "RUNNING->TRAINING_SUCCEEDED",
      "TRAINING_SUCCEEDED->EVALUATING",
      "EVALUATING->PROMOTING",
      "PROMOTION_INTENT",
      "PROMOTED",
      "PROMOTING->ARTIFACT_SUCCESS",
    ]);
    assert.deepEqual(world.fake.releases, [record!.snapshot.context.attemptId], "the engine's leftovers are released after the exit is journaled");
    assert.equal(verifyIndex(world.stateRoot).inSync, true);
    const ledger = withLedger(world);
    assert.equal(ledger[ledger.indexOf("PENDING->ADMITTED") + 1], "RESERVATION_GRANTED", "granted with the admission");
    assert.equal(ledger[ledger.indexOf("RUNNING->TRAINING_SUCCEEDED") + 1], "RESERVATION_RELEASED", "released when the attempt stopped holding capacity");
    assert.equal(ledger.filter((t) => t.startsWith("RESERVATION_")).length, 2);
    const granted = readJournal(world.stateRoot).records.find((r) => r.type === "RESERVATION_GRANTED");
    assert.ok(granted?.type === "RESERVATION_GRANTED" && granted.attemptId === record!.snapshot.context.attemptId && granted.cpus > 0);
    const index = RunIndex.open(indexPath(world.stateRoot));
    try {
      assert.deepEqual(index.heldReservations(), [], "the ledger holds nothing once the run is done");
    } finally {
      index.close();
    }
  });

  test("an infrastructure failure is retried under the same logical run; a method failure is recorded", async () => {
    world = await fakeWorld("ctl-retry");
    world.fake.scriptRun(RUN, { kind: "fail-launch", error: "launch_error", message: "engine hiccup" }, { kind: "succeed" });
    const other = "fedcba9876543210fedcba9876543210";
    world.fake.scriptRun(other, { kind: "exit", code: 3, message: "diverged" });
    const { controller } = open(world);
    await controller.applyPlan([plannedRun(world, RUN), plannedRun(world, other, { jobName: "other" })], { skipCompleted: false });
    const [retried, failed] = await controller.runUntilSettled([RUN, other]);
    assert.equal(retried!.snapshot.value, "ARTIFACT_SUCCESS");
    assert.equal(retried!.snapshot.context.attempt, 2, "a second attempt of the same run");
    assert.equal(failed!.snapshot.value, "FAILED");
    assert.equal(failed!.snapshot.context.reason, "nonzero_exit");
    assert.equal(world.fake.launchesOf(other).length, 1, "a method failure is not retried without retries: N");
  });

  test("cancel stops a running attempt; the run ends CANCELLED and its workspace stays", async () => {
    world = await fakeWorld("ctl-cancel");
    world.fake.scriptRun(RUN, { kind: "hang" });
    const { controller, store } = open(world);
    await controller.applyPlan([plannedRun(world, RUN)], { skipCompleted: false });
    controller.start();
    const settled = controller.settled([RUN]);
    await eventually("the attempt running", () => store.get(RUN)?.snapshot.value === "RUNNING");
    controller.requestCancel(RUN);
    const [record] = await settled;
    await controller.stop();
    assert.equal(record!.snapshot.value, "CANCELLED");
    assert.deepEqual(world.fake.cancels, [record!.snapshot.context.attemptId]);
    assert.equal(world.fake.running().length, 0);
  });

  test("an OOM kill is retried with a doubled memory limit when the job allows it", async () => {
    world = await fakeWorld("ctl-oom");
    world.fake.scriptRun(RUN, { kind: "oom" }, { kind: "succeed" });
    const { controller } = open(world);
    await controller.applyPlan([plannedRun(world, RUN, { memLimitBytes: 256 * 1024 ** 2, oomRetries: 1 })], { skipCompleted: false });
    const [record] = await controller.runUntilSettled([RUN]);
    assert.equal(record!.snapshot.value, "ARTIFACT_SUCCESS");
    assert.deepEqual(world.fake.launchesOf(RUN).map((l) => l.request.memLimitBytes), [256 * 1024 ** 2, 512 * 1024 ** 2]);
  });

  test("after a restart a running attempt is adopted, never launched again", async () => {
    world = await fakeWorld("ctl-adopt");
    world.fake.scriptRun(RUN, { kind: "hang" });
    const first = open(world);
    await first.controller.applyPlan([plannedRun(world, RUN)], { skipCompleted: false });
    first.controller.start();
    first.controller.track([RUN]);
    await eventually("running", () => first.store.get(RUN)?.snapshot.value === "RUNNING");
    await first.controller.stop();
    first.close();
    sessions = sessions.filter((s) => s !== first);

    const second = open(world);
    assert.deepEqual(await second.controller.releaseLeftovers(), [], "a running attempt is not a leftover");
    second.controller.start();
    const settled = second.controller.settled([RUN]);
    await eventually("observed running by the new session", () => second.store.get(RUN)?.snapshot.value === "RUNNING" && world!.fake.running().length === 1);
    await world.fake.exitNow(second.store.get(RUN)!.snapshot.context.attemptId!);
    const [record] = await settled;
    await second.controller.stop();
    assert.equal(record!.snapshot.value, "ARTIFACT_SUCCESS");
    assert.deepEqual(world.fake.launchesOf(RUN).map((l) => l.result), ["started"], "one launch in all");
  });

  test("a crash between any two journaled steps: the restart finishes the run once, nothing lost or done twice", async () => {
    const clean = await fakeWorld("ctl-crash-ref");
    const reference = openFakeSession(clean);
    await reference.controller.applyPlan([plannedRun(clean, RUN)], { skipCompleted: false });
    await reference.controller.runUntilSettled([RUN]);
    reference.close();
    const steps = readJournal(clean.stateRoot).records.length;
    clean.cleanup();

    for (let survive = 1; survive < steps; survive++) {
      const w = await fakeWorld(`ctl-crash-${survive}`, new FakeExecutor());
      try {
        const doomed = openFakeSession(w);
        // The process dies at the next journal write after `survive` records: that write and everything after it never happen.
        let written = 0;
        let dead = false;
        const append = doomed.journal.append.bind(doomed.journal);
        doomed.journal.append = (records) => {
          if (dead || written + records.length > survive) {
            dead = true;
            throw new Error("killed");
          }
          written += records.length;
          return append(records);
        };
        try {
          await doomed.controller.applyPlan([plannedRun(w, RUN)], { skipCompleted: false });
          doomed.controller.start();
          doomed.controller.track([RUN]);
          await eventually(`the crash after ${survive} records`, () => dead);
        } catch {
          // the crash came while planning
        }
        await doomed.controller.stop();
        doomed.close();

        const revived = openFakeSession(w);
        try {
          await revived.controller.releaseLeftovers();
          await revived.controller.applyPlan([plannedRun(w, RUN)], { skipCompleted: true });
          const [record] = await revived.controller.runUntilSettled([RUN]);
          const records = readJournal(w.stateRoot).records;
          assert.equal(record!.snapshot.value, "ARTIFACT_SUCCESS", `crash after ${survive} of ${steps} records`);
          assert.equal(records.filter((r) => r.type === "PROMOTED").length, 1, `one promotion (crash after ${survive})`);
          const started = w.fake.launches.filter((l) => l.result === "started").map((l) => l.request.attemptId);
          assert.equal(new Set(started).size, started.length, `no attempt launched twice (crash after ${survive})`);
          assert.ok(started.length <= 2, `at most the interrupted attempt and one more (crash after ${survive})`);
          assert.equal((await verifyBundle(record!.snapshot.context.artifactDir!)).ok, true);
          assert.equal(w.fake.running().length, 0, "nothing left running");
        } finally {
          revived.close();
        }
        assert.deepEqual(verifyIndex(w.stateRoot).drift, [], `index in sync (crash after ${survive})`);
      } finally {
        w.cleanup();
      }
    }
  });
});
