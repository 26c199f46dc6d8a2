/**
 * Root ignores directory permissions, so a saga that renames a read-only directory works as root and fails for
 * every ordinary user. When the tests run as root, the saga is run again as "nobody" in a child process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyBundle } from "../../../src/artifacts/verify.js";
import { repoRoot } from "../../../src/util/paths.js";
import { stateRoot, workspace } from "./fixtures.js";

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const hasSetpriv = isRoot && spawnSync("setpriv", ["--version"]).status === 0;

const SCRIPT = `
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const { storeLayout } = await import(process.env.MV_LAYOUT);
const { promote } = await import(process.env.MV_PROMOTE);
const { request } = await import(process.env.MV_FIXTURES);
const layout = storeLayout(process.env.MV_ROOT, "store");
const req = await request(layout);
const first = await promote(req);
const second = await promote(req);
chmodSync(first.artifactDir, 0o755);
chmodSync(join(first.artifactDir, "run.log"), 0o644);
writeFileSync(join(first.artifactDir, "run.log"), "tampered\\n");
const third = await promote(req);
const quarantine = readdirSync(join(layout.storeDir, "quarantine"));
process.stdout.write(JSON.stringify({ first, second, third, quarantine }));
`;

/**
 * The child imports the compiled code as "nobody", who cannot read a checkout under a private directory (a clone in
 * `mktemp -d`): it gets a world-readable copy of dist/ and of the two packages that code imports.
 */
function readableCodeCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "mv-unprivileged-code-"));
  chmodSync(dir, 0o755);
  cpSync(join(repoRoot(), "package.json"), join(dir, "package.json")); // read for the tool's version
  mkdirSync(join(dir, "store")); // with package.json, how the code finds its root
  cpSync(join(repoRoot(), "dist"), join(dir, "dist"), { recursive: true });
  for (const pkg of ["h5wasm", "xstate"]) cpSync(join(repoRoot(), "node_modules", pkg), join(dir, "node_modules", pkg), { recursive: true });
  return dir;
}

test("the saga works for an ordinary user: promote, reuse, quarantine a tampered bundle", { skip: isRoot && !hasSetpriv ? "setpriv is not available" : !isRoot ? "the other tests already run unprivileged" : false }, async () => {
  const state = stateRoot("store");
  const code = readableCodeCopy();
  try {
    await workspace(state.layout);
    assert.equal(spawnSync("chown", ["-R", `${NOBODY}:${NOBODY}`, state.root]).status, 0);
    chownSync(state.root, NOBODY, NOBODY);
    const compiled = (path: string) => new URL(`file://${join(code, "dist", path)}`).href;
    const child = spawnSync(
      "setpriv",
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, "--input-type=module", "-e", SCRIPT],
      {
        encoding: "utf8",
        cwd: state.root,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          MV_ROOT: state.root,
          MV_LAYOUT: compiled("src/artifacts/layout.js"),
          MV_PROMOTE: compiled("src/artifacts/promote.js"),
          MV_FIXTURES: compiled("test/unit/artifacts/fixtures.js"),
        },
      },
    );
    assert.equal(child.status, 0, `${child.stdout}\n${child.stderr}`);
    const result = JSON.parse(child.stdout) as { first: { artifactDir: string; reused: boolean }; second: { reused: boolean }; third: { reused: boolean }; quarantine: string[] };
    assert.equal(result.first.reused, false);
    assert.equal(result.second.reused, true);
    assert.equal(result.third.reused, false, "the tampered bundle was replaced");
    assert.equal(result.quarantine.length, 2, result.quarantine.join(", "));
    assert.equal(statSync(result.first.artifactDir).uid, NOBODY);
    assert.equal(statSync(result.first.artifactDir).mode & 0o777, 0o555);
    assert.equal((await verifyBundle(result.first.artifactDir)).ok, true);
  } finally {
    state.cleanup();
    rmSync(code, { recursive: true, force: true });
  }
});
