/**
 * doctor's ledger and MLflow checks: the reservation ledger against the runs that hold capacity, and the journal's
 * projection states against a tracking server (a fake probe for the verdicts; a real local HTTP server speaking the
 * MLflow REST shapes for the probe doctor uses).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Journal } from "../../../src/journal/journal.js";
import type { JournalRecord, NewJournalRecord } from "../../../src/journal/records.js";
import { runDoctor } from "../../../src/services/doctor.js";
import { ledgerVerdict, mlflowVerdict, type TrackingServerProbe } from "../../../src/services/doctor-state-checks.js";
import type { CommandRunner } from "../../../src/executors/slurm/command-runner.js";
import { planned, tempDir, transition } from "../../helpers/fixtures.js";

const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

function journal(...records: NewJournalRecord[]): JournalRecord[] {
  return records.map((r, i) => ({ ...r, seq: i + 1, ts: `2026-12-01T00:00:${String(i).padStart(2, "0")}Z` }) as JournalRecord);
}
const grant = (runId: string, attemptId: string): NewJournalRecord => ({ type: "RESERVATION_GRANTED", runId, attemptId, cpus: 2, memBytes: 1024 ** 3, gpus: 0 });
const release = (runId: string, attemptId: string, phase: "TRAINING_SUCCEEDED" | "FAILED" = "TRAINING_SUCCEEDED"): NewJournalRecord => ({ type: "RESERVATION_RELEASED", runId, attemptId, phase });
const admit = (runId: string, attemptId: string) => transition(runId, "PENDING", "ADMITTED", "ADMIT", { attemptId });
const start = (runId: string, attemptId: string) => transition(runId, "ADMITTED", "RUNNING", "STARTED", { attemptId });
const exit = (runId: string, attemptId: string) => transition(runId, "RUNNING", "TRAINING_SUCCEEDED", "EXITED_OK", { attemptId });

describe("the reservation ledger check", () => {
  test("grants matching the live attempts and releases matching the rest are ok, with what is held", () => {
    const records = journal(planned(A), planned(B), admit(A, "a-1"), grant(A, "a-1"), start(A, "a-1"), admit(B, "b-1"), grant(B, "b-1"), start(B, "b-1"), exit(B, "b-1"), release(B, "b-1"));
    const check = ledgerVerdict(records, true);
    assert.equal(check.status, "ok");
    assert.match(check.detail, /^1 reservation held \(2 CPUs, 1\.0 GiB, 0 GPUs\), matching the 1 live attempt$/);
    assert.match(ledgerVerdict(records, false).detail, /no controller is running: they are adopted at the next start/);
  });

  test("a live attempt without a grant, a grant of a finished run, a grant of another attempt, a grant of an unknown run", () => {
    const records = journal(planned(A), planned(B), admit(A, "a-1"), start(A, "a-1"), admit(B, "b-1"), grant(B, "b-1"), start(B, "b-1"), exit(B, "b-1"), grant("cccccccccccccccccccccccccccccccc", "c-1"));
    const check = ledgerVerdict(records, true);
    assert.equal(check.status, "warning");
    assert.match(check.detail, /^3 disagreements/);
    assert.match(check.detail, /run job-s0-aaaaaaaa is RUNNING without a grant in the ledger/);
    assert.match(check.detail, /the ledger holds a reservation for run job-s0-bbbbbbbb, which is TRAINING_SUCCEEDED/);
    assert.match(check.detail, /run cccccccccccccccccccccccccccccccc, which the journal never planned/);
    const other = ledgerVerdict(journal(planned(A), admit(A, "a-2"), grant(A, "a-1"), start(A, "a-2")), true);
    assert.match(other.detail, /grant of run job-s0-aaaaaaaa is for attempt a-1, its live attempt is a-2/);
  });
});

const projection = (attemptId: string, state: "pending" | "synced" | "failed", mlflowRunId?: string, trackingUri = "http://mlflow.test"): NewJournalRecord => ({
  type: "TRACKING_PROJECTION", runId: A, attemptId, target: "mlflow", state, trackingUri, experimentName: "e", ...(mlflowRunId ? { mlflowRunId } : {}),
});

describe("the MLflow projection check", () => {
  const probe = (runs: Record<string, Record<string, string>>, healthy = true) => (): TrackingServerProbe => ({
    healthy: () => Promise.resolve(healthy),
    runTags: (id) => Promise.resolve(runs[id]),
  });

  test("nothing projected is skipped; synced runs the server has are ok", async () => {
    assert.equal((await mlflowVerdict(journal(planned(A)), probe({}))).status, "skipped");
    const ok = await mlflowVerdict(journal(projection("a-1", "pending"), projection("a-1", "synced", "m1")), probe({ m1: { "multiverse.projection": "synced" } }));
    assert.deepEqual([ok.status, ok.detail], ["ok", "1 projected attempt, 1 synced checked against the server"]);
  });

  test("a synced run the server lacks or does not mark synced, pending and failed ones, a server that does not answer", async () => {
    const records = journal(projection("a-1", "synced", "m1"), projection("a-2", "synced", "m2"), projection("a-3", "pending"), projection("a-4", "failed"));
    const check = await mlflowVerdict(records, probe({ m2: { "multiverse.projection": "pending" } }));
    assert.equal(check.status, "warning");
    assert.match(check.detail, /1 pending \(run multiverse mlflow-sync\)/);
    assert.match(check.detail, /1 failed/);
    assert.match(check.detail, /attempt a-1 is synced in the journal, but http:\/\/mlflow\.test has no run m1/);
    assert.match(check.detail, /attempt a-2: http:\/\/mlflow\.test run m2 is marked pending, the journal says synced/);
    assert.match((await mlflowVerdict(records, probe({}, false))).detail, /http:\/\/mlflow\.test does not answer/);
  });
});

describe("doctor on a state root with a ledger and projections, against a real HTTP server", () => {
  let server: Server;
  let uri: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === "/health") return void res.end("OK");
      if (req.url?.startsWith("/api/2.0/mlflow/runs/get")) {
        res.statusCode = 404;
        return void res.end(JSON.stringify({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "Run 'm1' not found" }));
      }
      res.statusCode = 500;
      res.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("the checks read the journal on disk and ask the server it names", async () => {
    const { dir, cleanup } = tempDir("doctor-ledger");
    try {
      const journal = Journal.open(dir);
      journal.append([planned(A), admit(A, "a-1"), grant(A, "a-1"), start(A, "a-1"), projection("a-1", "synced", "m1", uri)]);
      journal.close();
      const runner: CommandRunner = { run: async () => ({ code: 127, stdout: "", stderr: "not found" }) };
      const report = await runDoctor({ stateRoot: dir, runner });
      const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
      assert.equal(byName["reservation ledger"]?.status, "ok", JSON.stringify(byName["reservation ledger"]));
      assert.match(byName["reservation ledger"]!.detail, /1 reservation held/);
      assert.equal(byName["mlflow projections"]?.status, "warning");
      assert.match(byName["mlflow projections"]!.detail, new RegExp(`${uri.replace(/[.]/g, "\\.")} has no run m1`));
    } finally {
      cleanup();
    }
  });
});
