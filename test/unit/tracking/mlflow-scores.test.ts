/** The launch side of the score projection, before any server is asked: what is read from the launch dir, and what is refused. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectLaunchScores } from "../../../src/tracking/mlflow-scores.js";
import type { MlflowClient } from "../../../src/tracking/mlflow-client.js";

const LAUNCH = "20261201T120000Z-abcdef";

function launchRoot(files: Record<string, string>): { stateRoot: string; done: () => void } {
  const stateRoot = mkdtempSync(join(tmpdir(), "mv-scores-"));
  const dir = join(stateRoot, ".multiverse", "launches", LAUNCH);
  mkdirSync(join(dir, "evaluations"), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { stateRoot, done: () => rmSync(stateRoot, { recursive: true, force: true }) };
}

const noServer = (): MlflowClient => {
  throw new Error("no server may be asked here");
};

describe("projectLaunchScores before the server", () => {
  test("a launch never evaluated projects nothing", async () => {
    const root = launchRoot({});
    try {
      assert.deepEqual(await projectLaunchScores({ stateRoot: root.stateRoot, launchId: LAUNCH, runs: new Map(), env: {}, clientFor: noServer }), { launchId: LAUNCH, evaluationId: null, items: [] });
    } finally {
      root.done();
    }
  });

  test("a torn or foreign evaluation_run.json is a failed item naming the file, never a crash", async () => {
    for (const text of ["{torn", "[]", JSON.stringify({ evaluation_id: "e", status: "done", finished_at: "yesterday", members: [] })]) {
      const root = launchRoot({ "evaluation_run.json": text });
      try {
        const outcome = await projectLaunchScores({ stateRoot: root.stateRoot, launchId: LAUNCH, runs: new Map(), env: {}, clientFor: noServer });
        assert.equal(outcome.items.length, 1, text);
        assert.equal(outcome.items[0]!.action, "failed");
        assert.match(outcome.items[0]!.message, /evaluation_run\.json (is not JSON|lacks evaluation_id)/);
      } finally {
        root.done();
      }
    }
  });

  test("members: a torn document fails, a run the journal does not know and an untracked run are skipped", async () => {
    const run = { evaluation_id: "eval-1", status: "done", finished_at: "2026-12-01T12:00:00Z", members: [{ member_id: "torn" }, { member_id: "unknown" }] };
    const root = launchRoot({ "evaluation_run.json": JSON.stringify(run), "evaluations/torn.json": "{", "evaluations/unknown.json": JSON.stringify({ schema_version: 1, member: { member_id: "unknown", run_id: "r-unknown", attempt_id: "r-unknown-a1" }, status: "done" }) });
    try {
      const outcome = await projectLaunchScores({ stateRoot: root.stateRoot, launchId: LAUNCH, runs: new Map(), env: {}, clientFor: noServer });
      assert.deepEqual(outcome.items.map((i) => [i.memberId, i.action]), [["torn", "failed"], ["unknown", "skipped"]]);
      assert.match(outcome.items[1]!.message, /run r-unknown is not in the journal/);
    } finally {
      root.done();
    }
  });
});
