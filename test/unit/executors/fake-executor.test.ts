/**
 * The FakeExecutor's scripts, clock and inspection API (what controller tests drive it with), beyond the shared
 * executor contract: OOM, hang until cancelled or told to exit, launch failures, vanishing, per-run script
 * queues, an engine that does not answer, and waitForExit.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LaunchError, type LaunchRequest } from "../../../src/executors/executor.js";
import { FakeExecutor, jobSpecOf } from "../../../src/executors/fake/fake-executor.js";
import { ManualClock } from "../../../src/executors/fake/manual-clock.js";
import { contractMounts } from "../../../src/executors/mounts.js";
import { readLatent, writeH5mu } from "../../../src/h5/index.js";
import { isPng } from "../../../src/validation/png.js";
import { tempDir } from "../../helpers/fixtures.js";

let dir: string;
let cleanup: () => void;
let dataset: string;
let counter = 0;

before(async () => {
  ({ dir, cleanup } = tempDir("fake-executor"));
  dataset = join(dir, "data.h5mu");
  await writeH5mu(dataset, { nObs: 12, modalities: { rna: { nVars: 4 } }, seed: 3 });
});
after(() => cleanup());

function request(runId = "run1", extra: Partial<LaunchRequest> = {}): LaunchRequest {
  counter += 1;
  const attemptId = `${runId}-own-a${counter}`;
  const workspaceDir = join(dir, "ws", attemptId);
  mkdirSync(workspaceDir, { recursive: true });
  writeFileSync(join(workspaceDir, "job_spec.json"), JSON.stringify({ seed: 7, model_name: "pca" }));
  return { attemptId, runId, ownerId: "own", image: "multiverse-pca:1.0.0", mounts: contractMounts(dataset, workspaceDir), env: {}, gpu: false, ...extra };
}

const workspace = (req: LaunchRequest) => req.mounts.find((m) => m.role === "workspace")!.source;

describe("FakeExecutor scripts", () => {
  test("succeed (the default) writes valid contract outputs: a latent of n_obs rows read from the input", async () => {
    const fake = new FakeExecutor();
    const req = request();
    await fake.launch(req);
    const done = await fake.observe(req.attemptId);
    assert.deepEqual([done.state, done.exitCode, done.oomKilled], ["exited", 0, false]);
    const latent = await readLatent(join(workspace(req), "embeddings.h5"), { checkFinite: true });
    assert.deepEqual(latent.shape, [12, 8]);
    assert.ok(isPng(readFileSync(join(workspace(req), "umap.png"))));
    const metrics = JSON.parse(readFileSync(join(workspace(req), "metrics.json"), "utf8")) as { model_metrics: Record<string, number> };
    assert.equal(metrics.model_metrics.n_latent, 8);
    assert.match(readFileSync(join(workspace(req), "run.log"), "utf8"), /INFO done/);
  });

  test("succeed with latentRows writes an invalid latent on purpose; nObs is used without reading the input", async () => {
    const fake = new FakeExecutor({ defaultScript: { kind: "succeed", nObs: 5, latentRows: 4, nLatent: 3 } });
    const req = request("run1", { mounts: contractMounts(join(dir, "no-such.h5mu"), join(dir, "ws", "rows")) });
    await fake.launch(req);
    assert.equal((await fake.observe(req.attemptId)).exitCode, 0);
    assert.deepEqual((await readLatent(join(dir, "ws", "rows", "embeddings.h5"), { checkFinite: false })).shape, [4, 3]);
  });

  test("succeed on an unreadable input exits 1, as a model would", async () => {
    const fake = new FakeExecutor();
    const req = request("run1", { mounts: contractMounts(join(dir, "no-such.h5mu"), join(dir, "ws", "unreadable")) });
    await fake.launch(req);
    assert.equal((await fake.observe(req.attemptId)).exitCode, 1);
    assert.ok(!existsSync(join(dir, "ws", "unreadable", "embeddings.h5")));
  });

  test("exit with a code, with the message in the log and as the engine's error", async () => {
    const fake = new FakeExecutor({ defaultScript: { kind: "exit", code: 3, message: "segfault" } });
    const req = request();
    await fake.launch(req);
    const done = await fake.observe(req.attemptId);
    assert.deepEqual([done.state, done.exitCode, done.error], ["exited", 3, "segfault"]);
    await fake.collectLogs(req.attemptId, join(workspace(req), "container.log"));
    assert.match(readFileSync(join(workspace(req), "container.log"), "utf8"), /pca starting[\s\S]*segfault/);
  });

  test("oom: exit 137, oomKilled", async () => {
    const fake = new FakeExecutor({ defaultScript: { kind: "oom" } });
    const req = request();
    await fake.launch(req);
    const done = await fake.observe(req.attemptId);
    assert.deepEqual([done.exitCode, done.oomKilled], [137, true]);
  });

  test("hang: running until cancelled (143), or killed after the grace period when it ignores SIGTERM (137)", async () => {
    const fake = new FakeExecutor({ defaultScript: { kind: "hang" } });
    const polite = request();
    await fake.launch(polite);
    assert.equal((await fake.observe(polite.attemptId)).state, "running");
    await fake.cancel(polite.attemptId, 5);
    assert.deepEqual([(await fake.observe(polite.attemptId)).exitCode], [143]);
    const stubborn = request();
    fake.scriptAttempt(stubborn.attemptId, { kind: "hang", ignoresSigterm: true });
    await fake.launch(stubborn);
    await fake.cancel(stubborn.attemptId, 5);
    assert.equal((await fake.observe(stubborn.attemptId)).exitCode, 137);
    assert.deepEqual(fake.cancels, [polite.attemptId, stubborn.attemptId]);
  });

  test("exitNow ends a hanging attempt now: it succeeds by default, or as told", async () => {
    const fake = new FakeExecutor({ defaultScript: { kind: "hang" } });
    const [a, b] = [request(), request()];
    await fake.launch(a);
    await fake.launch(b);
    await fake.exitNow(a.attemptId);
    await fake.exitNow(b.attemptId, { kind: "oom" });
    assert.equal((await fake.observe(a.attemptId)).exitCode, 0);
    assert.ok(existsSync(join(workspace(a), "embeddings.h5")));
    assert.equal((await fake.observe(b.attemptId)).oomKilled, true);
    assert.deepEqual(fake.running(), []);
    await assert.rejects(fake.exitNow("never-a1"), /holds no attempt never-a1/);
  });

  test("fail-launch throws the LaunchError kind and leaves nothing in the engine; the next launch takes the next script", async () => {
    const fake = new FakeExecutor();
    const req = request("flaky");
    fake.scriptRun("flaky", { kind: "fail-launch", error: "engine_unavailable" }, { kind: "succeed" });
    await assert.rejects(fake.launch(req), (e: unknown) => e instanceof LaunchError && e.kind === "engine_unavailable");
    assert.equal((await fake.observe(req.attemptId)).state, "missing");
    await fake.launch(req);
    assert.equal((await fake.observe(req.attemptId)).exitCode, 0);
    assert.deepEqual(fake.launchesOf("flaky").map((call) => call.result), ["refused", "started"]);
  });

  test("vanish: the attempt is lost from the engine (missing, not listed)", async () => {
    const fake = new FakeExecutor({ defaultScript: { kind: "vanish" } });
    const req = request();
    await fake.launch(req);
    assert.equal((await fake.observe(req.attemptId)).state, "missing");
    assert.deepEqual(await fake.listOwned("own"), []);
  });

  test("per-run scripts are taken one per launch and the last repeats; per-attempt scripts come first", async () => {
    const fake = new FakeExecutor();
    fake.scriptRun("retry", { kind: "oom" }, { kind: "exit", code: 2 });
    const [a1, a2, a3, a4] = [request("retry"), request("retry"), request("retry"), request("retry")];
    fake.scriptAttempt(a4.attemptId, { kind: "succeed" });
    const codes: (number | null | undefined)[] = [];
    for (const req of [a1, a2, a3, a4]) {
      await fake.launch(req);
      codes.push((await fake.observe(req.attemptId)).exitCode);
    }
    assert.deepEqual(codes, [137, 2, 2, 0]);
    assert.deepEqual(fake.launchesOf("retry").map((call) => call.script?.kind), ["oom", "exit", "exit", "succeed"]);
  });

  test("scriptFor sees the request and the run's launch number", async () => {
    const seen: number[] = [];
    const fake = new FakeExecutor({ scriptFor: (_req, n) => (seen.push(n), n === 1 ? { kind: "exit", code: 1 } : undefined) });
    const [a, b] = [request("numbered"), request("numbered")];
    await fake.launch(a);
    await fake.launch(b);
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual([(await fake.observe(a.attemptId)).exitCode, (await fake.observe(b.attemptId)).exitCode], [1, 0]);
  });

  test("jobSpecOf reads the workspace's job_spec.json for scriptFor functions; {} without one", () => {
    assert.equal(jobSpecOf(request()).model_name, "pca");
    assert.deepEqual(jobSpecOf({ ...request(), mounts: contractMounts(dataset, join(dir, "ws", "empty")) }), {});
  });

  test("launch is idempotent: a known attempt is not started again and takes no script", async () => {
    const fake = new FakeExecutor({ defaultScript: { kind: "hang" } });
    const req = request("again");
    await fake.launch(req);
    await fake.launch(req);
    assert.deepEqual(fake.launchesOf("again").map((call) => call.result), ["started", "existing"]);
    assert.equal(fake.attempt(req.attemptId)?.state, "running");
  });
});

describe("FakeExecutor time, adoption and the engine", () => {
  test("on a manual clock an attempt runs its scripted time; tick() and observe end it; waitForExit resolves then", async () => {
    const clock = new ManualClock();
    const fake = new FakeExecutor({ clock: clock.now, defaultScript: { kind: "exit", code: 0, runMs: 10_000 } });
    const req = request();
    await fake.launch(req);
    let exited = false;
    const waiting = fake.waitForExit(req.attemptId).then(() => (exited = true));
    clock.advance(9_999);
    await fake.tick();
    assert.equal((await fake.observe(req.attemptId)).state, "running");
    assert.equal(exited, false);
    clock.advance(1);
    await fake.tick();
    await waiting;
    const done = await fake.observe(req.attemptId);
    assert.equal(done.state, "exited");
    assert.equal(Date.parse(done.finishedAt!) - Date.parse(done.startedAt!), 10_000);
  });

  test("with the real clock a timed attempt ends by itself: waitForExit needs no poll", async () => {
    const fake = new FakeExecutor({ defaultScript: { kind: "exit", code: 4, runMs: 20 } });
    const req = request();
    await fake.launch(req);
    await fake.waitForExit(req.attemptId);
    assert.equal(fake.attempt(req.attemptId)?.exitCode, 4);
  });

  test("waitForExit resolves on cancel, release and vanishing, and at once for a missing attempt", async () => {
    const fake = new FakeExecutor({ defaultScript: { kind: "hang" } });
    const [a, b] = [request(), request()];
    await fake.launch(a);
    await fake.launch(b);
    const waits = [fake.waitForExit(a.attemptId), fake.waitForExit(b.attemptId)];
    await fake.cancel(a.attemptId, 1);
    await fake.release(b.attemptId);
    await Promise.all(waits);
    await fake.waitForExit("never-a1");
    assert.deepEqual(fake.releases, [b.attemptId]);
  });

  test("a new controller on the same engine adopts: listOwned lists this owner's attempts with their labels, nobody else's", async () => {
    const fake = new FakeExecutor({ defaultScript: { kind: "hang" } });
    const mine = request("adopt");
    const theirs = { ...request("other"), ownerId: "someone-else" };
    await fake.launch(mine);
    await fake.launch(theirs);
    const owned = await fake.listOwned("own");
    assert.deepEqual(owned.map((o) => [o.attemptId, o.state, o.labels?.["io.multiverse.run-id"]]), [[mine.attemptId, "running", "adopt"]]);
  });

  test("an engine that does not answer: every call is engine_unavailable until it is back", async () => {
    const fake = new FakeExecutor();
    const req = request();
    fake.setEngineDown("dockerd stopped");
    const down = (e: unknown) => e instanceof LaunchError && e.kind === "engine_unavailable" && /dockerd stopped/.test(e.message);
    await assert.rejects(fake.launch(req), down);
    await assert.rejects(fake.observe(req.attemptId), down);
    await assert.rejects(fake.listOwned("own"), down);
    await assert.rejects(fake.resolveImage("x"), down);
    fake.setEngineDown(false);
    await fake.launch(req);
    assert.equal((await fake.observe(req.attemptId)).exitCode, 0);
  });

  test("images: present unless listed missing; capacity as configured, --max-concurrent over it", async () => {
    const fake = new FakeExecutor({ missingImages: ["gone:1"], capacity: { cpus: 2, memBytes: 1024, gpus: 1, maxConcurrent: 2 } });
    assert.match((await fake.resolveImage("multiverse-pca:1.0.0"))?.digest ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.equal(await fake.resolveImage("gone:1"), null);
    assert.deepEqual(fake.capacity({ maxConcurrent: 9 }), { cpus: 2, memBytes: 1024, gpus: 1, maxConcurrent: 9 });
    assert.equal(new FakeExecutor({ backend: "slurm" }).backend, "slurm");
  });
});
