/**
 * `multiverse controller --source kubernetes` as a real process against the test cluster: clear errors (exit 2)
 * for bad flag combinations, no API server, CRDs not served; and leader election with two processes on one
 * Lease and one state root: only the holder reconciles, kill -9 the leader and the other takes over, adopts the
 * running attempt (pca on pbmc68k-reduced in a Kubernetes Job: the Job is adopted, not created again) and finishes it:
 * the Run resource ends ARTIFACT_SUCCESS with a bundle that verifies; a leader whose Lease is taken exits non-zero.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchV1Api, CoordinationV1Api, V1MicroTime } from "@kubernetes/client-node";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { repoRoot } from "../../src/util/paths.js";
import type { KubeObject } from "../../src/sources/kubernetes/kube-objects.js";
import { CLI, cli } from "../helpers/cli.js";
import { TestCluster, testKubeconfig } from "../helpers/kube-source.js";
import { TEST_HANG_GUARD_MS, exitedReason, waitUntil } from "../helpers/wait.js";
import { ensureNamespaceWithClaim, importImage, kubectl as kubectlJobs, TEST_CLAIM_DIR } from "../helpers/k8s-jobs-cluster.js";

const kubeconfig = testKubeconfig();
const skip = kubeconfig ? false : "no Kubernetes test cluster (admin kubeconfig not found)";
const DATASET = join(repoRoot(), "data", "generated", "pbmc68k-reduced.h5mu");

interface Controller {
  child: ChildProcess;
  log(): string;
  exited: Promise<number | null>;
}

function spawnController(args: string[]): Controller {
  const child = spawn(process.execPath, [CLI, "controller", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, log: () => text, exited };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, options: { timeoutMs?: number; giveUpIf?: () => string | false | undefined } = {}): Promise<T> {
  const seen = await waitUntil(what, probe, (value) => value !== undefined && value !== false, { timeoutMs: options.timeoutMs ?? 180_000, intervalMs: 250, ...(options.giveUpIf ? { giveUpIf: options.giveUpIf } : {}) });
  return seen as T;
}

/** A copy of the admin kubeconfig whose server is `server`. */
function kubeconfigWithServer(dir: string, name: string, server: string): string {
  const text = readFileSync(kubeconfig!, "utf8").replace(/server: \S+/, `server: ${server}`);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("multiverse controller --source kubernetes: errors before anything starts", { skip }, () => {
  let work: string;
  before(() => void (work = mkdtempSync(join(tmpdir(), "mv-k8s-cli-"))));
  after(() => rmSync(work, { recursive: true, force: true }));

  test("bad flag combinations are exit 2 with what to do", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const state = ["--state-root", join(work, "state")];
    const cases: [string[], RegExp][] = [
      [["--source", "kubernetes", "--watch", work], /--watch is for --source files/],
      [["--source", "kubernetes", "--namespace", "a", "--all-namespaces"], /--namespace NS or --all-namespaces, not both/],
      [["--watch", work, "--namespace", "a"], /--namespace need --source kubernetes/],
      [["--watch", work, "--leader-elect"], /--leader-elect holds a Lease on the Kubernetes API: it needs --source kubernetes/],
      [["--source", "kubernetes", "--kubeconfig", join(work, "missing")], /--kubeconfig: no such file/],
      [["--source", "nowhere"], /argument 'nowhere' is invalid/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(["controller", ...args, ...state]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
  });

  test("no API server at the address: exit 2 naming it; CRDs not served: exit 2 saying how to install them", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const nowhere = kubeconfigWithServer(work, "nowhere.kubeconfig", "https://127.0.0.1:1");
    const unreachable = await cli(["controller", "--source", "kubernetes", "--kubeconfig", nowhere, "--namespace", "default", "--state-root", join(work, "s1")]);
    assert.equal(unreachable.code, 2, unreachable.stderr);
    assert.match(unreachable.stderr, /no Kubernetes API server answers at https:\/\/127\.0\.0\.1:1/);
    // The real API server under a path prefix where it serves nothing: every multiverse collection is a 404.
    const server = /server: (\S+)/.exec(readFileSync(kubeconfig!, "utf8"))![1]!;
    const prefixed = kubeconfigWithServer(work, "prefixed.kubeconfig", `${server}/no-such-prefix`);
    const missing = await cli(["controller", "--source", "kubernetes", "--kubeconfig", prefixed, "--namespace", "default", "--state-root", join(work, "s2")]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /does not serve datasets\.multiverse\.io: the multiverse CRDs are not installed/);
    assert.match(missing.stderr, /kubectl apply -f crds\//);
    assert.equal(existsSync(join(work, "s1", "journal")), false, "nothing was started");
  });
});

describe("leader election: two controllers, one Lease", { skip }, () => {
  let cluster: TestCluster;
  let leases: CoordinationV1Api;
  let ns: string;
  let work: string;
  const controllers: Controller[] = [];

  before(async () => {
    assert.ok(existsSync(DATASET), `${DATASET} is missing: run scripts/setup.sh`);
    cluster = new TestCluster(kubeconfig!);
    cluster.applyCrds();
    leases = cluster.config.makeApiClient(CoordinationV1Api);
    ns = await cluster.createNamespace("lead");
    // The attempts run as Jobs: the state root and the dataset on the claim bound to TEST_CLAIM_DIR.
    importImage("multiverse-pca:1.0.0");
    ensureNamespaceWithClaim(ns);
    mkdirSync(TEST_CLAIM_DIR, { recursive: true });
    work = mkdtempSync(join(TEST_CLAIM_DIR, "mv-k8s-leader-"));
    copyFileSync(DATASET, join(work, "pbmc68k-reduced.h5mu"));
    await cluster.create(ns, "datasets", "Dataset", "pbmc68k-reduced", { path: join(work, "pbmc68k-reduced.h5mu"), batchKey: "gem_group", labelKey: "bulk_labels" });
  });

  after(async () => {
    for (const c of controllers) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
    await Promise.all(controllers.map((c) => c.exited));
    if (ns) {
      await cluster.deleteNamespace(ns);
      kubectlJobs(["delete", "pv", `${ns}-state`, "--ignore-not-found", "--wait=false"]);
    }
    if (work && !process.env.MULTIVERSE_KEEP_TEST_DIRS) {
      spawn("chmod", ["-R", "u+w", work]);
      rmSync(work, { recursive: true, force: true });
    }
  });

  const holder = async () => (await leases.readNamespacedLease({ namespace: ns, name: "multiverse-controller" })).spec?.holderIdentity;
  const runsOf = (name: string) => cluster.list(ns, "runs", `multiverse.io/benchmark=${name}`);
  const phaseOf = (run: KubeObject | undefined) => (run?.status as { phase?: string } | undefined)?.phase;

  test("only the holder reconciles; kill -9 the leader: the other takes over, adopts the running attempt and finishes it", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const args = ["--source", "kubernetes", "--kubeconfig", kubeconfig!, "--namespace", ns, "--state-root", join(work, "state"), "--backend", "kubernetes", "--poll-interval-ms", "300",
      "--kube-namespace", ns, "--kube-state-claim", `state:${TEST_CLAIM_DIR}`, "--kube-image-pull-policy", "Never",
      "--leader-elect", "--leader-elect-lease-duration", "4", "--leader-elect-renew-deadline", "3", "--leader-elect-retry-period", "1"];
    const a = spawnController(args);
    controllers.push(a);
    await waitFor("a leads and is ready", () => /holds lease/.test(a.log()) && /controller ready/.test(a.log()), { giveUpIf: () => exitedReason(a.child, "controller a") });
    const b = spawnController(args);
    controllers.push(b);
    await waitFor("b waits for the lease", () => /is held by .*; waiting/.test(b.log()), { giveUpIf: () => exitedReason(b.child, "controller b") });
    const leaderIdentity = /leader election: (\S+) holds lease/.exec(a.log())![1];
    assert.equal(await holder(), leaderIdentity);

    await cluster.create(ns, "benchmarks", "Benchmark", "pbmc", { experimentName: "pbmc-k8s", backend: "kubernetes", jobs: [{ name: "pca", dataset: "pbmc68k-reduced", model: "pca", seeds: [0], params: { n_components: 5, normalize: false } }] });
    await waitFor("the pca run RUNNING on the leader", async () => phaseOf((await runsOf("pbmc"))[0]) === "RUNNING", { giveUpIf: () => exitedReason(a.child, "controller a") });
    const batch = cluster.config.makeApiClient(BatchV1Api);
    const jobsNow = async () => (await batch.listNamespacedJob({ namespace: ns })).items.map((j) => `${j.metadata?.name}/${j.metadata?.uid}`);
    const [job] = await waitFor("the run's Job", async () => {
      const jobs = await jobsNow();
      return jobs.length > 0 && jobs;
    });
    assert.doesNotMatch(b.log(), /source revision|controller ready|adopting/, "the follower does not reconcile");

    a.child.kill("SIGKILL");
    await a.exited;
    await waitFor("b takes over", () => /holds lease/.test(b.log()) && /controller ready/.test(b.log()), { timeoutMs: 60_000, giveUpIf: () => exitedReason(b.child, "controller b") });
    assert.match(b.log(), /lease of \S+ expired; taking over/);
    assert.notEqual(await holder(), leaderIdentity);
    const done = await waitFor("the adopted run ends ARTIFACT_SUCCESS", async () => {
      const run = (await runsOf("pbmc"))[0];
      return phaseOf(run) === "FAILED" ? run : phaseOf(run) === "ARTIFACT_SUCCESS" && (run!.status as { manifestSha256?: string }).manifestSha256 !== undefined && run;
    }, { timeoutMs: 420_000, giveUpIf: () => exitedReason(b.child, "controller b") });
    const status = done.status as { phase: string; attempt: number; bundlePath: string; manifestSha256: string };
    assert.equal(status.phase, "ARTIFACT_SUCCESS", JSON.stringify(status));
    assert.equal(status.attempt, 1, "adopted, not launched again");
    assert.match(b.log(), /adopting 1 unfinished runs/);
    const after = await jobsNow();
    assert.ok(after.length === 0 || (after.length === 1 && after[0] === job), `the same Job, never a second one: ${job} then ${after.join(", ")}`);
    const verification = await verifyBundle(status.bundlePath);
    assert.ok(verification.ok, verification.problems.join("; "));
    const benchmark = await cluster.get(ns, "benchmarks", "pbmc");
    assert.equal((benchmark?.status as { runs?: { succeeded?: number } }).runs?.succeeded, 1);
  });

  test("a leader whose Lease another holder took stops reconciling and exits non-zero", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const leader = controllers.find((c) => c.child.exitCode === null && c.child.signalCode === null)!;
    const lease = await leases.readNamespacedLease({ namespace: ns, name: "multiverse-controller" });
    const now = new V1MicroTime(Date.now());
    await leases.replaceNamespacedLease({ namespace: ns, name: "multiverse-controller", body: { ...lease, spec: { ...lease.spec, holderIdentity: "intruder", renewTime: now, acquireTime: now, leaseDurationSeconds: 60 } } });
    const code = await leader.exited;
    assert.equal(code, 1, leader.log());
    assert.match(leader.log(), /leader election lost: lease \S+ is now held by intruder; stopping reconciliation and exiting/);
  });
});
