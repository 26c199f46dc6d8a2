import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeWritable, promote } from "../../../src/artifacts/promote.js";
import { verifyCommand } from "../../../src/cli/commands/verify.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import type { Io } from "../../../src/cli/output.js";
import { request, stateRoot, workspace, type StateRoot } from "./fixtures.js";

let state: StateRoot;
beforeEach(() => (state = stateRoot("store")));
afterEach(() => state.cleanup());

function capture(): { io: Io; out: () => string } {
  const lines: string[] = [];
  return { io: { out: (t) => lines.push(t), err: (t) => lines.push(t), isTty: false }, out: () => lines.join("\n") };
}

async function twoBundles(): Promise<[string, string]> {
  await workspace(state.layout, "aaaabbbbcccc-own123-a1");
  await workspace(state.layout, "aaaabbbbcccc-own123-a2");
  const first = await promote(await request(state.layout, { attemptId: "aaaabbbbcccc-own123-a1" }));
  const second = await promote(await request(state.layout, { attemptId: "aaaabbbbcccc-own123-a2" }));
  return [first.artifactDir, second.artifactDir];
}

function tamper(bundle: string, file: string): void {
  makeWritable(bundle);
  chmodSync(join(bundle, file), 0o644);
  writeFileSync(join(bundle, file), "tampered\n");
}

describe("multiverse verify", () => {
  test("a bundle verifies file by file; a changed file fails it, named", async () => {
    const [bundle] = await twoBundles();
    const ok = capture();
    assert.equal(await verifyCommand(bundle, {}, ok.io), 0);
    assert.match(ok.out(), /1 bundle under .*: 1 verified, 0 failed/);
    tamper(bundle, "extra/notes.txt");
    const bad = capture();
    assert.equal(await verifyCommand(bundle, { json: true }, bad.io), 1);
    const parsed = JSON.parse(bad.out()) as { ok: boolean; bundles: { problems: string[] }[] };
    assert.equal(parsed.ok, false);
    assert.match(parsed.bundles[0]!.problems.join(" "), /extra\/notes\.txt: size \d+ differs from the manifest's/);
  });

  test("a state root: every bundle, the failed one named", async () => {
    const [, second] = await twoBundles();
    tamper(second, "run.log");
    const out = capture();
    assert.equal(await verifyCommand(state.root, {}, out.io), 1);
    assert.match(out.out(), /2 bundles under .*: 1 verified, 1 failed/);
    assert.match(out.out(), /aaaabbbbcccc-own123-a2 +FAILED/);
  });

  test("a cp -a copy of a state root verifies its own bundles", async () => {
    await twoBundles();
    const copyParent = mkdtempSync(join(tmpdir(), "mv-verify-copy-"));
    try {
      const copy = join(copyParent, "root");
      assert.equal(spawnSync("cp", ["-a", state.root, copy]).status, 0);
      const out = capture();
      assert.equal(await verifyCommand(copy, { json: true }, out.io), 0);
      const parsed = JSON.parse(out.out()) as { bundles: { bundle: string }[] };
      assert.equal(parsed.bundles.length, 2);
      assert.ok(parsed.bundles.every((b) => b.bundle.startsWith(copy)), parsed.bundles.map((b) => b.bundle).join(", "));
    } finally {
      makeWritable(copyParent);
      rmSync(copyParent, { recursive: true, force: true });
    }
  });

  test("a directory that is neither is a usage error (exit 2)", async () => {
    const plain = mkdtempSync(join(tmpdir(), "mv-verify-plain-"));
    try {
      await assert.rejects(verifyCommand(plain, {}, capture().io), (e: unknown) => e instanceof MultiverseError && e.exitCode === 2 && /neither a bundle/.test(e.message));
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
    await assert.rejects(verifyCommand(join(state.root, "missing"), {}, capture().io), (e: unknown) => e instanceof MultiverseError && e.exitCode === 2);
  });
});
