/**
 * The CLI loads a command's modules only when that command runs: `--help`, `completion` and an unknown command
 * load neither the engines' clients nor the HDF5 reader, the HTTP server, the schema compiler or SQLite, and
 * `get runs` loads SQLite and nothing else of those. Checked by recording every module the process resolves.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CLI, cliSync } from "../../helpers/cli.js";

const HEAVY = ["dockerode", "h5wasm", "fastify", "ajv", "better-sqlite3", "chokidar", "xstate", "yaml", "@kubernetes/client-node"];

let work: string;
let hooks: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), "mv-lazy-"));
  hooks = join(work, "hooks.mjs");
  writeFileSync(
    hooks,
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.MV_LOADED_LOG, resolved.url + "\\n");
  return resolved;
}\n`,
  );
  writeFileSync(join(work, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
});
after(() => rmSync(work, { recursive: true, force: true }));

function logFor(args: string[]): string {
  const log = join(work, `loaded-${args.join("-").replace(/[^a-z-]/gi, "")}.txt`);
  writeFileSync(log, "");
  return log;
}

function loadedPackages(args: string[]): string[] {
  const log = logFor(args);
  const result = spawnSync(process.execPath, ["--import", pathToFileURL(join(work, "register.mjs")).href, CLI, ...args], { encoding: "utf8", env: { ...process.env, MV_LOADED_LOG: log } });
  assert.notEqual(result.status, null, result.stderr);
  return heavyIn(log);
}

/** The heavy packages a long-running command (the controller) loaded by the time its stderr matched `ready`. */
async function loadedBy(args: string[], ready: RegExp): Promise<string[]> {
  const log = logFor(args);
  const child = spawn(process.execPath, ["--import", pathToFileURL(join(work, "register.mjs")).href, CLI, ...args], { env: { ...process.env, MV_LOADED_LOG: log }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (data: Buffer) => {
      stderr += data.toString();
      if (ready.test(stderr)) resolve();
    });
    void exited.then((code) => reject(new Error(`exited ${code} before ${ready}: ${stderr}`)));
  });
  child.kill("SIGTERM");
  assert.equal(await exited, 0, stderr);
  return heavyIn(log);
}

function heavyIn(log: string): string[] {
  const urls = readFileSync(log, "utf8").split("\n").filter((l) => l.includes("/node_modules/"));
  assert.ok(readFileSync(log, "utf8").includes("/dist/src/cli/main.js"), "the hook saw the CLI load");
  return HEAVY.filter((name) => urls.some((url) => url.includes(`/node_modules/${name}/`)));
}

describe("lazy command modules", () => {
  test("--help, a command's --help, completion and an unknown command load none of the heavy packages", () => {
    assert.deepEqual(loadedPackages(["--help"]), []);
    assert.deepEqual(loadedPackages(["run", "--help"]), []);
    assert.deepEqual(loadedPackages(["controller", "--help"]), []);
    assert.deepEqual(loadedPackages(["completion", "bash"]), []);
    assert.deepEqual(loadedPackages(["nonsense"]), []);
  });

  test("get runs loads SQLite only; run loads what running needs", () => {
    const state = join(work, "state");
    const planned = cliSync(["run", "--manifest", join(process.cwd(), "manifests", "demo", "run_manifest.yaml"), "--output", state, "--dry-run", "--json"]);
    assert.equal(planned.code, 0, planned.stderr);
    assert.deepEqual(loadedPackages(["get", "runs", "--state-root", state]), ["better-sqlite3"]);
    const yaml = cliSync(["get", "runs", "--state-root", state, "-o", "yaml"]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /^- runId: [0-9a-f]+\n/, "-o yaml loads the YAML library when it is asked for");
    const run = loadedPackages(["run", "--manifest", join(process.cwd(), "manifests", "demo", "run_manifest.yaml"), "--output", state, "--dry-run"]);
    assert.ok(run.includes("ajv"), "control: the hook does see heavy packages");
    assert.ok(!run.includes("@kubernetes/client-node"), "a run on the local executor never loads the Kubernetes client");
  });

  test("a controller watching files without --listen loads neither the Kubernetes client, the HTTP server nor (outside its reader threads) HDF5", async () => {
    const loaded = await loadedBy(["controller", "--watch", join(work, "watched"), "--state-root", join(work, "controller-state"), "--backend", "local"], /controller ready/);
    assert.ok(loaded.includes("chokidar"), `control: the watcher is loaded (${loaded.join(", ")})`);
    assert.ok(!loaded.includes("@kubernetes/client-node"), `loaded: ${loaded.join(", ")}`);
    assert.ok(!loaded.includes("fastify"), `loaded: ${loaded.join(", ")}`);
    assert.ok(!loaded.includes("h5wasm"), `loaded: ${loaded.join(", ")}`);
  });
});
