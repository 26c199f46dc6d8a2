/** Shared setup for the artifact store tests: a state root with one validated workspace, and a request for it. */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { storeLayout, type StoreLayout } from "../../../src/artifacts/layout.js";
import { makeWritable, type PromotionRequest } from "../../../src/artifacts/promote.js";
import { validateWorkspace } from "../../../src/validation/index.js";
import { runSpec, tempDir } from "../../helpers/fixtures.js";
import { goodWorkspace } from "../../helpers/workspace.js";

export const RUN_ID = "aaaabbbbcccc000011112222";
export const ATTEMPT = "aaaabbbbcccc-own123-a1";
export const N_OBS = 10;

export interface StateRoot {
  root: string;
  layout: StoreLayout;
  cleanup: () => void;
}

export function stateRoot(kind: "store" | "simple" = "store"): StateRoot {
  const { dir, cleanup } = tempDir(`artifacts-${kind}`);
  return {
    root: dir,
    layout: storeLayout(dir, kind),
    cleanup: () => {
      makeWritable(dir);
      cleanup();
    },
  };
}

/** A workspace that passes validation, with one nested extra file to check that relative paths survive. */
export async function workspace(layout: StoreLayout, attemptId = ATTEMPT): Promise<string> {
  const dir = layout.workspaceDir(attemptId);
  mkdirSync(join(dir, "extra"), { recursive: true });
  await goodWorkspace(dir, N_OBS);
  writeFileSync(join(dir, "extra", "notes.txt"), `notes of ${attemptId}\n`);
  return dir;
}

/** Validate the workspace as the controller does, and build the promotion request from the result. */
export async function request(layout: StoreLayout, overrides: Partial<PromotionRequest> = {}): Promise<PromotionRequest> {
  const attemptId = overrides.attemptId ?? ATTEMPT;
  const validation = await validateWorkspace(layout.workspaceDir(attemptId), { nObs: N_OBS, level: "basic" });
  assert.equal(validation.ok, true, JSON.stringify(validation.problems));
  return {
    layout,
    runId: RUN_ID,
    attemptId,
    jobName: "job",
    spec: runSpec(),
    artifacts: validation.artifacts,
    validation: { level: "basic", warnings: validation.problems.map((p) => `${p.artifact}: ${p.code}`), latentShape: validation.latentShape },
    transitions: [
      { from: "PENDING", to: "ADMITTED", event: "ADMIT", ts: "2026-02-03T04:00:00.000Z" },
      { from: "EVALUATING", to: "PROMOTING", event: "VALIDATED", ts: "2026-02-03T04:05:00.000Z" },
    ],
    ownerToken: "own123",
    clock: () => new Date("2026-02-03T04:05:06Z"),
    ...overrides,
  };
}
