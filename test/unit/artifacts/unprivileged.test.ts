/**
 * Root ignores directory permissions, so a saga that renames a read-only directory works as root and fails for
 * every ordinary user. When the tests run as root, the saga is run again as "nobody" in a child process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chownSync, statSync } from "node:fs";
import { verifyBundle } from "../../../src/artifacts/verify.js";
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

test("the saga works for an ordinary user: promote, reuse, quarantine a tampered bundle", { skip: isRoot && !hasSetpriv ? "setpriv is not available" : !isRoot ? "the other tests already run unprivileged" : false }, async () => {
  const state = stateRoot("store");
  try {
    await workspace(state.layout);
    assert.equal(spawnSync("chown", ["-R", `${NOBODY}:${NOBODY}`, state.root]).status, 0);
    chownSync(state.root, NOBODY, NOBODY);
    const here = (path: string) => new URL(path, import.meta.url).href;
    const child = spawnSync(
      "setpriv",
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, "--input-type=module", "-e", SCRIPT],
      {
        encoding: "utf8",
        cwd: state.root,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          MV_ROOT: state.root,
          MV_LAYOUT: here("../../../src/artifacts/layout.js"),
          MV_PROMOTE: here("../../../src/artifacts/promote.js"),
          MV_FIXTURES: here("./fixtures.js"),
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
  }
});
