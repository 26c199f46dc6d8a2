/**
 * `multiverse controller` checks every flag before anything starts: a refused start leaves no state root, no
 * journal and no lock behind (the probe of issue 10 saw two containers launched before the token was asked for).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Errors } from "../../../src/domain/errors.js";
import { controllerSettings, parseListen, probeListen } from "../../../src/cli/commands/controller-flags.js";
import { cli } from "../../helpers/cli.js";
import { startControllerProcess, waitFor } from "../../helpers/controller.js";

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), "mv-controller-flags-"));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe("controllerSettings (reads the token file, writes nothing)", () => {
  test("loopback without a token is fine; off loopback a token is required", () => {
    assert.deepEqual(controllerSettings({ watch: "w", listen: "127.0.0.1:0" }, {}).listen, { host: "127.0.0.1", port: 0 });
    assert.deepEqual(controllerSettings({ watch: "w", listen: "8080" }, {}).listen, { host: "127.0.0.1", port: 8080 });
    for (const host of ["0.0.0.0:8080", "[::]:8080", "192.168.1.5:80"]) {
      assert.throws(() => controllerSettings({ watch: "w", listen: host }, {}), /off loopback: give a bearer token/, host);
    }
    assert.equal(controllerSettings({ watch: "w", listen: "0.0.0.0:8080", token: "t" }, {}).token, "t");
    assert.equal(controllerSettings({ watch: "w", listen: "0.0.0.0:8080" }, { MULTIVERSE_API_TOKEN: "from-env" }).token, "from-env");
    assert.throws(() => controllerSettings({ watch: "w", listen: "0.0.0.0:8080" }, { MULTIVERSE_API_TOKEN: "  " }), /off loopback/, "a blank variable is no token");
    assert.throws(() => controllerSettings({ watch: "w", listen: "127.0.0.1:8080", token: "two words" }, {}), /has whitespace at character 4/, "a token no client could send");
  });

  test("the token file must exist and hold a token; --token and --token-file are exclusive", () => {
    const file = join(work, "token");
    writeFileSync(file, "secret\n");
    assert.equal(controllerSettings({ watch: "w", listen: "0.0.0.0:1", tokenFile: file }, {}).token, "secret");
    writeFileSync(join(work, "blank"), "\n \n");
    assert.throws(() => controllerSettings({ watch: "w", tokenFile: join(work, "blank") }, {}), /--token-file is empty/);
    assert.throws(() => controllerSettings({ watch: "w", tokenFile: join(work, "missing") }, {}), (e: Error & { code?: string }) => e.code === Errors.fileNotFound.code);
    assert.throws(() => controllerSettings({ watch: "w", tokenFile: work }, {}), /no such file/, "a directory is not a token file");
    assert.throws(() => controllerSettings({ watch: "w", token: "a", tokenFile: file }, {}), /--token or --token-file, not both/);
  });

  test("--watch must be a directory when it exists", () => {
    writeFileSync(join(work, "plain"), "");
    assert.throws(() => controllerSettings({ watch: join(work, "plain") }, {}), /is not a directory/);
    assert.equal(controllerSettings({ watch: join(work, "not-yet") }, {}).watchDir, join(work, "not-yet"));
    assert.equal(existsSync(join(work, "not-yet")), false, "settings create nothing");
  });

  test("parseListen refuses what is not HOST:PORT", () => {
    for (const bad of ["", "host", "host:", ":80", "host:99999", "a:b:c", "[::1]"]) assert.throws(() => parseListen(bad), /--listen expects HOST:PORT/, bad);
    assert.deepEqual(parseListen("[::1]:9000"), { host: "::1", port: 9000 });
  });
});

describe("probeListen binds the address once before the controller starts", () => {
  let busy: Server;
  let port: number;
  before(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen({ host: "127.0.0.1", port: 0 }, resolve));
    port = (busy.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  test("a port in use and an address this machine does not have are refused; a free port is let go again", async () => {
    await assert.rejects(probeListen({ host: "127.0.0.1", port }), /the port is in use; nothing was started/);
    await assert.rejects(probeListen({ host: "192.0.2.1", port: 8080 }), /192\.0\.2\.1 is not an address of this machine/);
    await probeListen({ host: "127.0.0.1", port: 0 });
  });
});

describe("multiverse controller with a bad flag starts nothing", () => {
  const cases: { name: string; extra: string[]; env?: Record<string, string>; message: RegExp }[] = [
    { name: "--listen off loopback without a token", extra: ["--listen", "0.0.0.0:0"], message: /off loopback: give a bearer token/ },
    { name: "--listen that does not parse", extra: ["--listen", "everywhere"], message: /--listen expects HOST:PORT/ },
    { name: "--token-file that does not exist", extra: ["--token-file", "/nonexistent/token"], message: /--token-file: no such file/ },
    { name: "--max-concurrent 0", extra: ["--max-concurrent", "0"], message: /--max-concurrent must be at least 1/ },
    { name: "--backend that has no executor", extra: ["--backend", "podman"], message: /Allowed choices are docker, local, slurm, kubernetes/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const state = join(work, `state-${cases.indexOf(c)}`);
      const watch = join(work, `watch-${cases.indexOf(c)}`);
      const result = await cli(["controller", "--watch", watch, "--state-root", state, ...c.extra], { MULTIVERSE_API_TOKEN: "", ...c.env });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, c.message);
      assert.doesNotMatch(result.stderr, /\n\s+at |internal error/);
      assert.equal(existsSync(state), false, "no state root, so no journal, no lock and no launch");
      assert.equal(existsSync(watch), false, "not even the watched directory");
    });
  }

  test("control: the same command with a token starts, locks the state root and journals", async () => {
    const state = join(work, "state-ok");
    const controller = await startControllerProcess(state, join(work, "watch-ok"), ["--listen", "0.0.0.0:0", "--token", "t"], { MULTIVERSE_API_TOKEN: "" });
    try {
      await controller.waitForLog(/controller ready/);
      await waitFor("the journal", () => existsSync(join(state, "journal")) && readdirSync(join(state, "journal")).length > 0);
    } finally {
      await controller.stop();
    }
  });
});
