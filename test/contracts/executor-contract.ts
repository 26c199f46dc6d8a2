/**
 * The conformance suite every executor must pass (Docker, the local process, Slurm and the in-memory fake run the
 * same tests; Kubernetes will). It drives the executor directly with the contract test model. A check that cannot
 * apply to an engine is skipped for it, test by test, with the reason (e.g. the fake runs no process to isolate).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LABELS, type AttemptObservation, type Executor, type LaunchRequest } from "../../src/executors/executor.js";
import { contractMounts, requireMount } from "../../src/executors/mounts.js";
import { readLatent, writeH5mu } from "../../src/h5/index.js";
import { h5 } from "../../src/h5/h5wasm-runtime.js";
import { tempDir } from "../helpers/fixtures.js";

/** The suite's checks, by id, for skipping one that cannot apply to an engine. */
export type ContractCheck =
  | "outputs"
  | "environment"
  | "seeds"
  | "idempotent-launch"
  | "exit-code"
  | "logs"
  | "cancel"
  | "list-owned"
  | "missing-and-release"
  | "read-only-input"
  | "no-network";

export interface ContractOptions {
  image: string;
  /** Skips the whole suite (the engine is not there), with the reason. */
  skip?: string;
  /** Skips single checks that cannot apply to this engine, each with its reason. */
  skips?: Partial<Record<ContractCheck, string>>;
  /** Executor-specific request fields (the local executor needs the model's entrypoint and directory). */
  extra?: Partial<LaunchRequest>;
  /**
   * Where the suite's dataset and workspaces go (a temporary directory of the system's by default): an engine that
   * reaches host paths only through its volumes (Kubernetes: a PersistentVolumeClaim) needs them under one.
   */
  workDir?: string;
}

/** The host path of a request's workspace (its workspace mount's source). */
export function workspaceOf(request: LaunchRequest): string {
  return requireMount(request.mounts, "workspace").source;
}

function tempDirUnder(parent: string, prefix: string): { dir: string; cleanup: () => void } {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, `mv-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function waitFor(executor: Executor, attemptId: string, until: (o: AttemptObservation) => boolean, timeoutMs = 60_000): Promise<AttemptObservation> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const observation = await executor.observe(attemptId);
    if (until(observation)) return observation;
    if (Date.now() > deadline) throw new Error(`attempt ${attemptId} did not reach the expected state: last ${JSON.stringify(observation)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function latentValues(path: string): Promise<number[]> {
  const lib = await h5();
  const file = new lib.File(path, "r");
  try {
    const dataset = file.get("latent");
    assert.ok(dataset instanceof lib.Dataset, "embeddings.h5 has a latent dataset");
    return Array.from(dataset.value as ArrayLike<number>);
  } finally {
    file.close();
  }
}

export function executorContractSuite(name: string, makeExecutor: () => Promise<Executor>, options: ContractOptions): void {
  describe(`executor contract: ${name}`, { skip: options.skip }, () => {
    let executor: Executor;
    let dir: string;
    let cleanup: () => void;
    let dataset: string;
    const owner = `contract${process.pid}`;
    const nObs = 15;
    const launched: string[] = [];
    let counter = 0;

    before(async () => {
      executor = await makeExecutor();
      ({ dir, cleanup } = options.workDir ? tempDirUnder(options.workDir, `executor-${name}`) : tempDir(`executor-${name}`));
      dataset = join(dir, "data.h5mu");
      await writeH5mu(dataset, { nObs, modalities: { rna: { nVars: 6 } }, seed: 1 });
    });
    after(async () => {
      for (const attemptId of launched) await executor.release(attemptId).catch(() => undefined);
      await executor.close?.();
      cleanup();
    });

    const skip = (check: ContractCheck): string | undefined => options.skips?.[check];

    function request(hyperparameters: Record<string, unknown>, extra: Partial<LaunchRequest> = {}, seed?: number): LaunchRequest {
      counter += 1;
      const attemptId = `${owner}-${counter}-a1`;
      const workspaceDir = join(dir, "ws", attemptId);
      mkdirSync(workspaceDir, { recursive: true });
      writeFileSync(join(workspaceDir, "job_spec.json"), JSON.stringify({ seed: seed ?? counter, dataset_name: "d", model_name: "contract-test", hyperparameters }));
      launched.push(attemptId);
      return { attemptId, runId: `run${counter}`, ownerId: owner, image: options.image, mounts: contractMounts(dataset, workspaceDir), env: { MULTIVERSE_LOG_LEVEL: "DEBUG" }, gpu: false, ...options.extra, ...extra };
    }

    async function runToExit(req: LaunchRequest): Promise<AttemptObservation> {
      await executor.launch(req);
      return waitFor(executor, req.attemptId, (o) => o.state === "exited");
    }

    test("a contract-honouring model exits 0 and writes the four outputs", { skip: skip("outputs") }, async () => {
      const req = request({ behavior: "ok" });
      await executor.launch(req);
      const done = await waitFor(executor, req.attemptId, (o) => o.state === "exited");
      assert.equal(done.exitCode, 0);
      assert.equal(done.oomKilled, false);
      for (const file of ["embeddings.h5", "metrics.json", "umap.png", "run.log"]) assert.ok(existsSync(join(workspaceOf(req), file)), file);
      const latent = await readLatent(join(workspaceOf(req), "embeddings.h5"), { checkFinite: true });
      assert.deepEqual(latent.datasets, ["latent"]);
      assert.deepEqual(latent.shape, [nObs, 8], "one row per cell of the mounted input");
      assert.equal(latent.nonFinite, 0);
      assert.match(readFileSync(join(workspaceOf(req), "run.log"), "utf8"), /DEBUG n_obs=15/, "MULTIVERSE_LOG_LEVEL=DEBUG reaches the model");
    });

    test("the request's environment reaches the model", { skip: skip("environment") }, async () => {
      const req = request({ behavior: "ok" }, { env: { MULTIVERSE_LOG_LEVEL: "INFO" } });
      assert.equal((await runToExit(req)).exitCode, 0);
      const log = readFileSync(join(workspaceOf(req), "run.log"), "utf8");
      assert.match(log, /INFO done/);
      assert.doesNotMatch(log, /DEBUG/, "at INFO the model writes no debug lines");
    });

    test("the same seed gives the same latent, another seed a different one", { skip: skip("seeds") }, async () => {
      const [a, b, c] = [request({ behavior: "ok" }, {}, 42), request({ behavior: "ok" }, {}, 42), request({ behavior: "ok" }, {}, 43)];
      for (const req of [a, b, c]) assert.equal((await runToExit(req)).exitCode, 0);
      const [la, lb, lc] = await Promise.all([a, b, c].map((req) => latentValues(join(workspaceOf(req), "embeddings.h5"))));
      assert.deepEqual(la, lb);
      assert.notDeepEqual(la, lc);
    });

    test("launch is idempotent per attempt id", { skip: skip("idempotent-launch") }, async () => {
      const req = request({ behavior: "sleep", sleep_seconds: 30 });
      await executor.launch(req);
      const first = await waitFor(executor, req.attemptId, (o) => o.state === "running");
      await executor.launch(req);
      const again = await executor.observe(req.attemptId);
      assert.equal(again.state, "running");
      assert.equal(again.startedAt, first.startedAt, "the second launch neither restarted nor replaced the attempt");
      const owned = (await executor.listOwned(owner)).filter((o) => o.attemptId === req.attemptId);
      assert.equal(owned.length, 1);
      await executor.cancel(req.attemptId, 1);
      await waitFor(executor, req.attemptId, (o) => o.state === "exited", 20_000);
      // launching an attempt that already ran does not run it again
      await executor.launch(req);
      assert.equal((await executor.observe(req.attemptId)).state, "exited");
    });

    test("a failing model reports its exit code", { skip: skip("exit-code") }, async () => {
      const req = request({ behavior: "exit1" });
      await executor.launch(req);
      const done = await waitFor(executor, req.attemptId, (o) => o.state === "exited");
      assert.equal(done.exitCode, 1);
    });

    test("logs capture stdout and stderr", { skip: skip("logs") }, async () => {
      const req = request({ behavior: "ok" });
      await executor.launch(req);
      await waitFor(executor, req.attemptId, (o) => o.state === "exited");
      const file = join(workspaceOf(req), "container.log");
      await executor.collectLogs(req.attemptId, file);
      const text = readFileSync(file, "utf8");
      assert.match(text, /contract-test starting/);
      assert.match(text, /a line on stderr/);
      assert.ok(!text.includes(String.fromCharCode(1)) && !text.includes(String.fromCharCode(2)), "stream headers are removed");
    });

    test("cancel stops a running attempt within its grace period", { skip: skip("cancel") }, async () => {
      const req = request({ behavior: "sleep", sleep_seconds: 300 });
      await executor.launch(req);
      await waitFor(executor, req.attemptId, (o) => o.state === "running");
      const started = Date.now();
      await executor.cancel(req.attemptId, 2);
      const done = await waitFor(executor, req.attemptId, (o) => o.state === "exited", 20_000);
      // the model exits on SIGTERM, so the attempt ends within the 2 s grace period (plus the engine's own latency)
      assert.ok(Date.now() - started < 10_000, `cancel took ${Date.now() - started} ms`);
      assert.notEqual(done.exitCode, 0);
      await executor.cancel(req.attemptId, 2);
    });

    test("listOwned returns this owner's attempts with their labels, and nobody else's", { skip: skip("list-owned") }, async () => {
      const owned = await executor.listOwned(owner);
      assert.ok(owned.length >= 3);
      assert.ok(owned.every((o) => o.attemptId.startsWith(owner)));
      for (const o of owned) {
        assert.equal(o.labels?.[LABELS.owner], owner);
        assert.equal(o.labels?.[LABELS.attempt], o.attemptId);
        assert.match(o.labels?.[LABELS.run] ?? "", /^run\d+$/);
      }
      assert.ok(owned.some((o) => o.state === "exited" && o.exitCode === 1), "finished attempts are listed with their outcome");
      assert.deepEqual(await executor.listOwned(`${owner}-nobody`), []);
    });

    test("the input is mounted read-only", { skip: skip("read-only-input") }, async () => {
      assert.equal((await runToExit(request({ behavior: "write_input" }))).exitCode, 4);
    });

    test("no network by default", { skip: skip("no-network") }, async () => {
      assert.equal((await runToExit(request({ behavior: "network" }))).exitCode, 5);
    });

    test("an unknown attempt is missing; release removes an attempt and is idempotent", { skip: skip("missing-and-release") }, async () => {
      assert.equal((await executor.observe(`${owner}-never-a1`)).state, "missing");
      const req = request({ behavior: "ok" });
      await executor.launch(req);
      await waitFor(executor, req.attemptId, (o) => o.state === "exited");
      await executor.release(req.attemptId);
      await executor.release(req.attemptId);
      assert.equal((await executor.observe(req.attemptId)).state, "missing");
      assert.ok(existsSync(join(workspaceOf(req), "embeddings.h5")), "release never touches the workspace");
    });
  });
}
