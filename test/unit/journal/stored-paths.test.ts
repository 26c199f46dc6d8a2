import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { outputRootOf } from "../../../src/domain/output-root.js";
import type { JournalRecord } from "../../../src/journal/records.js";
import { formerOutputRoots, fromStoredPath, relativeToAny, resolvedRecord, storedRecord, toStoredPath } from "../../../src/journal/stored-paths.js";

const launch = (workspaceDir: string): JournalRecord => ({ seq: 1, ts: "t", type: "LAUNCH_INTENT", runId: "r", attemptId: "a1", attempt: 1, executor: "docker", handle: "h", workspaceDir });

describe("stored paths", () => {
  test("a path inside the root is stored relative to it; one outside stays absolute", () => {
    assert.equal(toStoredPath("/s/root", "/s/root/store/artifacts/a1"), "store/artifacts/a1");
    assert.equal(toStoredPath("/s/root", "/s/root2/store/artifacts/a1"), "/s/root2/store/artifacts/a1", "a sibling sharing the prefix is outside");
    assert.equal(toStoredPath("/s/root", "/s/other/x"), "/s/other/x");
    assert.equal(toStoredPath("/s/root", "/s/root"), "/s/root", "the root itself is not a place a record points at");
    assert.equal(toStoredPath("/s/root", "/s/root/../root/x"), "x");
    assert.equal(toStoredPath("/s/root", "relative/already"), "relative/already");
  });

  test("a stored path resolves under the root where it is now", () => {
    assert.equal(fromStoredPath("/mnt/here", "store/artifacts/a1"), "/mnt/here/store/artifacts/a1");
    assert.equal(fromStoredPath("/mnt/here", "/exports/x.tar"), "/exports/x.tar");
    assert.equal(fromStoredPath("/mnt/here", ""), "");
  });

  test("the simple layout's paths are relative to the output directory, not to .multiverse", () => {
    assert.equal(outputRootOf("/o/out/.multiverse"), "/o/out");
    assert.equal(outputRootOf("/o/state"), "/o/state");
    assert.equal(toStoredPath(outputRootOf("/o/out/.multiverse"), "/o/out/job1"), "job1");
  });

  test("records round-trip: stored relative, read back absolute; records without paths are untouched", () => {
    const transition: JournalRecord = {
      seq: 2, ts: "t", type: "RUN_TRANSITION", runId: "r", event: "PROMOTED", from: "PROMOTING", to: "ARTIFACT_SUCCESS",
      snapshot: { machineVersion: 1, value: "ARTIFACT_SUCCESS", context: { attempt: 1, artifactDir: "/s/root/store/artifacts/a1" } },
    };
    const stored = storedRecord("/s/root", transition);
    assert.equal(stored.type === "RUN_TRANSITION" && stored.snapshot.context.artifactDir, "store/artifacts/a1");
    assert.equal(transition.snapshot.context.artifactDir, "/s/root/store/artifacts/a1", "the input is not changed");
    assert.deepEqual(resolvedRecord("/elsewhere", stored), { ...transition, snapshot: { ...transition.snapshot, context: { attempt: 1, artifactDir: "/elsewhere/store/artifacts/a1" } } });
    const exported: JournalRecord = { seq: 3, ts: "t", type: "BUNDLE_EXPORTED", runId: "r", attemptId: "a1", artifactDir: "/s/root/store/artifacts/a1", manifestSha256: "x", to: "/s/root/../crate.tar" };
    assert.deepEqual(storedRecord("/s/root", exported), { ...exported, artifactDir: "store/artifacts/a1" }, "the export destination is the user's path");
    const migrated: JournalRecord = { seq: 4, ts: "t", type: "STATE_MIGRATED", from: 1, to: 2, steps: [] };
    assert.equal(storedRecord("/s/root", migrated), migrated);
  });

  test("the roots a layout-1 journal was written at are found from its launches (store and simple layouts)", () => {
    const records = [launch("/a/out/store/workspaces/a1"), launch("/b/simple/.multiverse/store/workspaces/a2"), launch("store/workspaces/a3"), launch("/a/out/store/workspaces/a4")];
    assert.deepEqual(formerOutputRoots(records, outputRootOf), ["/b/simple", "/a/out"]);
    assert.equal(relativeToAny(["/b/simple", "/a/out"], "/b/simple/job1"), "job1");
    assert.equal(relativeToAny(["/b/simple", "/a/out"], "/c/x"), "/c/x");
  });
});
