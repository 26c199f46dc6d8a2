/**
 * Model environments made by uv (scripts/setup-uv.sh installs it): installed from PyPI into one cache under the envs
 * root and hardlinked, so two environments with the same pins share their files; the identity does not depend on
 * the installer.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UV_CACHE, envDirFor, environmentDigest, findUv, setupModelEnv } from "../../src/executors/local/model-envs.js";
import { repoRoot } from "../../src/util/paths.js";

const uv = findUv();
if (!uv && process.env.CI) throw new Error("CI needs uv (scripts/setup.sh runs scripts/setup-uv.sh)");
const MODEL_DIR = join(repoRoot(), "test", "fixtures", "models", "contract-test");
const root = mkdtempSync(join(tmpdir(), "mv-uv-envs-"));
after(() => rmSync(root, { recursive: true, force: true }));

function sharedObjects(envDir: string): Map<string, number> {
  const found = new Map<string, number>();
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) visit(path);
      else if (name.endsWith(".so")) found.set(path.slice(envDir.length), stat.ino);
    }
  };
  visit(join(envDir, "lib"));
  return found;
}

describe("model environments with uv", { skip: uv ? undefined : "uv is not installed (scripts/setup-uv.sh)" }, () => {
  test("two environments with the same pins share their files through the cache; what is installed is what is pinned", () => {
    const first = setupModelEnv({ envsRoot: root, slug: "first", version: "0.1.0", modelDirectory: MODEL_DIR });
    const second = setupModelEnv({ envsRoot: root, slug: "second", version: "0.1.0", modelDirectory: MODEL_DIR });
    assert.match(first.installer ?? "", /^uv \d+\.\d+\.\d+$/);
    assert.equal(second.requirementsSha256, first.requirementsSha256);
    assert.ok(existsSync(join(root, UV_CACHE)), "the cache lives in the envs root, on the envs' filesystem");
    const a = sharedObjects(envDirFor(root, "first", "0.1.0"));
    const b = sharedObjects(envDirFor(root, "second", "0.1.0"));
    assert.ok(a.size > 10, `numpy and h5py bring shared objects, found ${a.size}`);
    for (const [path, inode] of a) assert.equal(b.get(path), inode, `${path} is one file (hardlinked), not a copy`);
    const python = join(envDirFor(root, "first", "0.1.0"), "bin", "python3");
    const installed = execFileSync(uv ?? "uv", ["pip", "freeze", "--python", python], { encoding: "utf8" }).trim().split("\n").sort();
    const pinned = readFileSync(join(MODEL_DIR, "container", "requirements.txt"), "utf8").split("\n").filter((l) => l && !l.startsWith("#")).sort();
    assert.deepEqual(installed, pinned);
  });

  test("the identity is the same whether uv or pip made the environment", () => {
    const pipRoot = join(root, "pip");
    const record = setupModelEnv({ envsRoot: pipRoot, slug: "first", version: "0.1.0", modelDirectory: MODEL_DIR, uv: null });
    assert.equal(record.installer, "pip");
    const viaUv = environmentDigest(root, "first", "0.1.0", MODEL_DIR);
    assert.ok(viaUv);
    assert.equal(environmentDigest(pipRoot, "first", "0.1.0", MODEL_DIR), viaUv);
  });

  test("an up-to-date environment is kept", () => {
    const lines: string[] = [];
    setupModelEnv({ envsRoot: root, slug: "first", version: "0.1.0", modelDirectory: MODEL_DIR, progress: (line) => lines.push(line) });
    assert.deepEqual(lines, [`environment ${envDirFor(root, "first", "0.1.0")} is up to date`]);
  });
});
