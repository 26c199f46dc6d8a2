/**
 * The index stores paths inside its state root relative to it and answers with them made absolute under wherever the
 * root is now; what gc collected (GC_COLLECTED paths are relative to the output root) still clears the run's row.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Journal } from "../../../src/journal/journal.js";
import { indexPath, RunIndex } from "../../../src/index/run-index.js";
import { tempDir } from "../../helpers/fixtures.js";
import { plan, RUN_A } from "./fixtures.js";

describe("index paths", () => {
  test("stored relative, read absolute under the current root; a collected workspace clears the row", () => {
    const { dir, cleanup } = tempDir("index-rel");
    try {
      const root = join(dir, "first");
      const attemptId = "aaaa1111bbbb-own1-a1";
      const journal = Journal.open(root);
      const records = journal.append([
        plan(RUN_A),
        { type: "LAUNCH_INTENT", runId: RUN_A, attemptId, attempt: 1, executor: "docker", handle: "mv-x", workspaceDir: join(root, "store/workspaces", attemptId) },
      ]);
      journal.close();
      const index = RunIndex.open(indexPath(root));
      index.apply(records);
      index.close();
      const db = new Database(indexPath(root), { readonly: true });
      assert.deepEqual(db.prepare("SELECT workspace_dir FROM runs").pluck().all(), [`store/workspaces/${attemptId}`]);
      db.close();
      const moved = join(dir, "second");
      cpSync(root, moved, { recursive: true });
      const reopened = RunIndex.open(indexPath(moved));
      try {
        assert.equal(reopened.getRun(RUN_A).workspaceDir, join(moved, "store/workspaces", attemptId));
        assert.deepEqual(reopened.attempts(RUN_A).map((a) => a.workspaceDir), [join(moved, "store/workspaces", attemptId)]);
        reopened.apply([{ seq: 3, ts: "2026-12-01T00:00:00Z", type: "GC_COLLECTED", kind: "workspace", path: `store/workspaces/${attemptId}`, runId: RUN_A, attemptId, bytes: 1, files: 1, rule: "retention-failed" }]);
        assert.equal(reopened.getRun(RUN_A).workspaceDir, null);
      } finally {
        reopened.close();
      }
    } finally {
      cleanup();
    }
  });
});
