/** `multiverse serve` as a user runs it: the real CLI on a state root, its bad inputs, and a clean stop. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "../../helpers/cli.js";
import { startServe } from "../../helpers/serve.js";
import { indexPath } from "../../../src/index/run-index.js";
import { OK_RUN, writeDashboardStateRoot } from "./dashboard-fixture.js";

let work: string;
let root: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), "mv-serve-"));
  root = join(work, "state");
  writeDashboardStateRoot(root).close();
});

after(() => rmSync(work, { recursive: true, force: true }));

describe("multiverse serve", { timeout: 60_000 }, () => {
  test("serves the page and the API of a state root, read-only, until SIGTERM (exit 0)", async () => {
    const serve = await startServe(["--state-root", root, "--listen", "127.0.0.1:0", "--token", "t"]);
    try {
      assert.match(serve.output(), /Serving .*state read-only/);
      assert.equal((await fetch(`${serve.address}/dashboard/`)).status, 200);
      const runs = (await (await fetch(`${serve.address}/api/v1/runs`)).json()) as { total: number };
      assert.equal(runs.total, 3);
      assert.equal((await fetch(`${serve.address}/api/v1/runs/${OK_RUN}/files/umap.png`)).status, 200);
      assert.equal((await fetch(`${serve.address}/readyz`)).status, 200);
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });

  test("a state root without its index gets one rebuilt from the journal", async () => {
    const copy = join(work, "no-index");
    writeDashboardStateRoot(copy).close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${indexPath(copy)}${suffix}`, { force: true });
    const serve = await startServe(["--output", copy, "--listen", "127.0.0.1:0"]);
    try {
      assert.equal(((await (await fetch(`${serve.address}/api/v1/runs`)).json()) as { total: number }).total, 3);
    } finally {
      await serve.stop();
    }
  });

  test("bad input: exit 2 with what is wrong, no stack trace", async () => {
    const empty = join(work, "empty");
    mkdirSync(empty);
    const cases: [string[], RegExp][] = [
      [["--state-root", empty], /holds no multiverse journal: nothing to serve/],
      [["--state-root", root, "--listen", "nonsense:port"], /--listen expects HOST:PORT or PORT/],
      [["--state-root", root, "--listen", "0.0.0.0:0"], /off loopback: give a bearer token/],
      [["--state-root", root, "--token-file", join(work, "missing-token")], /--token-file .*missing-token/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(["serve", ...args]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(" "));
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
  });

  test("an address in use is a usage error", async () => {
    const first = await startServe(["--state-root", root, "--listen", "127.0.0.1:0"]);
    try {
      const result = await cli(["serve", "--state-root", root, "--listen", first.address.replace("http://", "")]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /already in use/);
    } finally {
      await first.stop();
    }
  });
});

