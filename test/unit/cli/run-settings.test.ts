/** `multiverse run`'s options narrowed once at the CLI edge into RunSettings. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseRunSettings } from "../../../src/cli/commands/run-settings.js";
import { MultiverseError } from "../../../src/domain/errors.js";

function usageError(message: RegExp) {
  return (error: unknown) => error instanceof MultiverseError && error.code === "MV_USAGE" && message.test(error.message);
}

describe("parseRunSettings", () => {
  test("a run manifest: every option lands in the one part that uses it", () => {
    const settings = parseRunSettings({
      manifest: "m.yaml", output: "out", seed: 3, strict: true, acceptDegraded: true, imagePull: false, validators: "strict", backend: "local",
      skipCompleted: false, dryRun: true, maxConcurrent: 2, json: true, evaluate: true,
    });
    assert.deepEqual(settings, {
      manifest: { path: "m.yaml", simple: false },
      output: "out",
      plan: { seedOverride: 3, strict: true, acceptDegraded: true, noImagePull: true, validators: "strict", backend: "local" },
      execution: { skipCompleted: false, dryRun: true, maxConcurrent: 2, evaluate: false },
    });
  });

  test("--evaluate evaluates after a real launch, never after a dry run", () => {
    assert.equal(parseRunSettings({ manifest: "m.yaml", output: "out", evaluate: true }).execution.evaluate, true);
    assert.equal(parseRunSettings({ manifest: "m.yaml", output: "out", evaluate: true, dryRun: true }).execution.evaluate, false);
    assert.equal(parseRunSettings({ manifest: "m.yaml", output: "out" }).execution.evaluate, false);
  });

  test("options not given stay absent; dry run is off unless asked", () => {
    const settings = parseRunSettings({ manifest: "m.yaml", output: "out" });
    assert.equal(settings.execution.dryRun, false);
    assert.equal(settings.execution.skipCompleted, undefined);
    assert.equal(settings.execution.maxConcurrent, undefined);
    assert.equal(settings.plan.seedOverride, undefined);
    assert.equal(settings.plan.backend, undefined);
    assert.equal(settings.plan.noImagePull, false, "pulling a declared digest is allowed unless --no-image-pull");
  });

  test("simple mode: --simple <file> with --out, or --simple with --manifest", () => {
    assert.deepEqual(parseRunSettings({ simple: "s.yaml", out: "o" }).manifest, { path: "s.yaml", simple: true });
    assert.equal(parseRunSettings({ simple: "s.yaml", out: "o" }).output, "o");
    assert.deepEqual(parseRunSettings({ simple: true, manifest: "s.yaml", output: "o" }).manifest, { path: "s.yaml", simple: true });
    assert.deepEqual(parseRunSettings({ simple: "s.yaml", manifest: "s.yaml", out: "o" }).manifest, { path: "s.yaml", simple: true });
    assert.deepEqual(parseRunSettings({ simple: false, manifest: "m.yaml", output: "o" }).manifest, { path: "m.yaml", simple: false });
  });

  test("--output wins over its alias --out", () => {
    assert.equal(parseRunSettings({ manifest: "m.yaml", output: "a", out: "b" }).output, "a");
  });

  test("no manifest is a usage error", () => {
    assert.throws(() => parseRunSettings({ output: "out" }), usageError(/a manifest is required: --manifest <file> \(or --simple <file>\)/));
    assert.throws(() => parseRunSettings({ simple: true, out: "out" }), usageError(/a manifest is required/));
  });

  test("two different simple manifests are a usage error", () => {
    assert.throws(() => parseRunSettings({ simple: "a.yaml", manifest: "b.yaml", out: "o" }), usageError(/give the simple manifest once/));
  });

  test("no output directory is a usage error naming the flag of the mode", () => {
    assert.throws(() => parseRunSettings({ manifest: "m.yaml" }), usageError(/an output directory is required: --output <dir>/));
    assert.throws(() => parseRunSettings({ simple: "s.yaml" }), usageError(/an output directory is required: --out <dir>/));
  });
});
