/**
 * The Optuna process bridge against real Optuna (scripts/optuna_bridge.py in the venv of scripts/setup-optuna.sh):
 * the study it writes is an ordinary study that optuna.load_study reads.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OptunaBridgeError, OptunaProcessBridge, type StudyConfig } from "../../src/sweeps/optuna-bridge.js";
import { loadStudy, requireOptunaOrSkip } from "../helpers/optuna.js";

const skip = requireOptunaOrSkip();
let dir: string;

function config(storage: string, extra: Partial<StudyConfig> = {}): StudyConfig {
  return {
    storage,
    storageDisplay: storage,
    studyName: "exp__data__model",
    direction: "maximize",
    sampler: "tpe",
    seed: 0,
    searchSpace: {
      n: { type: "int", low: 2, high: 40, step: 2, log: false },
      lr: { type: "float", low: 0.001, high: 0.1, log: true },
      solver: { type: "categorical", choices: ["a", "b", null] },
    },
    ...extra,
  };
}

describe("Optuna process bridge", { skip }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mv-optuna-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("create, ask within the distributions, tell COMPLETE/PRUNED/FAIL, reload with optuna.load_study", async () => {
    const storage = `sqlite:///${join(dir, "nested", "studies.db")}`;
    const bridge = new OptunaProcessBridge();
    try {
      assert.deepEqual(await bridge.open(config(storage, { userAttrs: { multiverse_job: "j" } })), []);
      const asked = [await bridge.ask(), await bridge.ask(), await bridge.ask()];
      assert.deepEqual(asked.map((t) => t.number), [0, 1, 2]);
      for (const { params } of asked) {
        assert.ok(Number.isInteger(params.n) && (params.n as number) >= 2 && (params.n as number) <= 40 && (params.n as number) % 2 === 0, JSON.stringify(params));
        assert.ok((params.lr as number) >= 0.001 && (params.lr as number) <= 0.1);
        assert.ok(["a", "b", null].includes(params.solver as string | null));
      }
      await bridge.setTrialAttrs(0, { multiverse_run_id: "run-0" });
      const complete = await bridge.tell(0, { state: "COMPLETE", value: 0.75, message: "" });
      assert.equal(complete.state, "COMPLETE");
      assert.equal(complete.value, 0.75);
      assert.equal((await bridge.tell(1, { state: "PRUNED", message: "missing" })).state, "PRUNED");
      assert.equal((await bridge.tell(2, { state: "FAIL", message: "failed" })).state, "FAIL");
      // A second tell of a finished trial keeps what the study holds (idempotent after a crash).
      const again = await bridge.tell(0, { state: "FAIL", message: "late" });
      assert.equal(again.state, "COMPLETE");
      assert.equal(again.value, 0.75);
      await assert.rejects(bridge.setTrialAttrs(7, { x: 1 }), (e: unknown) => e instanceof OptunaBridgeError && e.kind === "bad_request");
    } finally {
      await bridge.close();
    }
    const study = loadStudy(storage, "exp__data__model");
    assert.equal(study.direction, "MAXIMIZE");
    assert.deepEqual(study.trials.map((t) => [t.number, t.state, t.value, t.runId]), [[0, "COMPLETE", 0.75, "run-0"], [1, "PRUNED", null, null], [2, "FAIL", null, null]]);
  });

  test("reopening continues the same study; a different direction is refused", async () => {
    const storage = `sqlite:///${join(dir, "reopen.db")}`;
    const first = new OptunaProcessBridge();
    let firstParams: Record<string, unknown>;
    try {
      await first.open(config(storage));
      const trial = await first.ask();
      firstParams = trial.params;
      await first.tell(trial.number, { state: "COMPLETE", value: 1, message: "" });
      await first.ask(); // left RUNNING, as after a crash
    } finally {
      await first.close();
    }
    const second = new OptunaProcessBridge();
    try {
      const trials = await second.open(config(storage));
      assert.deepEqual(trials.map((t) => [t.number, t.state]), [[0, "COMPLETE"], [1, "RUNNING"]]);
      assert.deepEqual(trials[0]!.params, firstParams);
      const next = await second.ask();
      assert.equal(next.number, 2);
      assert.equal((await second.trials()).length, 3);
    } finally {
      await second.close();
    }
    const third = new OptunaProcessBridge();
    try {
      await assert.rejects(third.open(config(storage, { direction: "minimize" })), (e: unknown) => e instanceof OptunaBridgeError && e.kind === "direction_mismatch" && /already optimises in direction maximize/.test(e.message));
    } finally {
      await third.close();
    }
  });

  test("a COMPLETE tell without a finite value is refused, not stored as 0", async () => {
    const storage = `sqlite:///${join(dir, "nan.db")}`;
    const bridge = new OptunaProcessBridge();
    try {
      await bridge.open(config(storage));
      const trial = await bridge.ask();
      await assert.rejects(bridge.tell(trial.number, { state: "COMPLETE", value: Number.NaN, message: "" }), OptunaBridgeError);
      assert.equal((await bridge.trials())[0]!.state, "RUNNING");
    } finally {
      await bridge.close();
    }
  });

  test("a missing Python is a clear error", () => {
    assert.throws(() => new OptunaProcessBridge("/nonexistent/python"), /not an executable Python.*|could not start/);
  });
});
