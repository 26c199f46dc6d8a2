/**
 * The Kubernetes Job executor: one batch/v1 Job per attempt, named and labelled from the attempt so that a restarted
 * controller finds and adopts its Jobs instead of creating them again. Jobs and Pods are observed through one
 * list+watch cache each (label selector on the owner), so observe(), listOwned() and waitForExit() read memory, not
 * the API: the requests per minute do not grow with the attempts in flight (bench/k8s-jobs-api-rate.ts).
 */
import { realpathSync } from "node:fs";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { BoundedLogFile } from "../../artifacts/bounded-log.js";
import type { Capacity } from "../../domain/capacity.js";
import type { ImageIdentity } from "../../domain/resources.js";
import { LaunchError, type AttemptObservation, type CapacityLimits, type Executor, type LaunchRequest } from "../executor.js";
import type { Mount } from "../mounts.js";
import { identityFromNodes, pinnedIdentity } from "./image-identity.js";
import { buildJob } from "./job-spec.js";
import type { JobApi } from "./kube-api.js";
import { apiMessage, httpStatusOf, isUnreachable } from "./kube-errors.js";
import { LazyJobApi } from "./lazy-job-api.js";
import { CONTAINER_NAME, idsOf, jobNameOf, K8S_LABELS, observationLabels, ownerSelector, type AttemptIds } from "./names.js";
import { observationOf } from "./outcome.js";
import { ResourceCache } from "./resource-cache.js";
import type { KubernetesSettings } from "./settings.js";
import { allClaims, claimPathOf } from "./volumes.js";

export interface KubernetesExecutorOptions {
  settings: KubernetesSettings;
  /** The API (tests and the benchmark pass an instrumented one); client-node against settings.kubeconfig by default. */
  api?: JobApi;
  /** The owner whose Jobs and Pods are watched (read at the first call); every multiverse-managed object when absent. */
  owner?: () => string;
  /** The local Docker engine's identity of an image built here (the same identity Docker-run attempts record). */
  resolveLocalImage?: (reference: string) => Promise<ImageIdentity | null>;
  /** How long the first list may take before calls fail with engine_unavailable (default 30 s). */
  syncTimeoutMs?: number;
}

interface Tracked {
  ids: AttemptIds;
  jobName: string;
  job?: V1Job;
  pod?: V1Pod;
  jobDeleted: boolean;
  podDeleted: boolean;
}

const ENDED = new Set(["exited", "missing"]);

export class KubernetesJobExecutor implements Executor {
  readonly backend = "kubernetes" as const;
  readonly api: JobApi;
  private readonly settings: KubernetesSettings;
  private caches: { jobs: ResourceCache<V1Job>; pods: ResourceCache<V1Pod> } | undefined;
  private readonly attempts = new Map<string, Tracked>();
  /** Attempts whose Job exists (a create answered 409) but that the watch has not shown yet. */
  private readonly expected = new Set<string>();
  private readonly cancelled = new Set<string>();
  private readonly released = new Set<string>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly options: KubernetesExecutorOptions) {
    this.settings = options.settings;
    this.api = options.api ?? new LazyJobApi(options.settings.kubeconfig, options.settings.namespace);
  }

  /** The cluster schedules CPUs, memory and GPUs; only the attempts in flight are capped. */
  capacity(limits?: CapacityLimits): Capacity {
    const maxConcurrent = limits?.maxConcurrent ?? this.settings.maxInflight;
    return { cpus: Number.POSITIVE_INFINITY, memBytes: Number.POSITIVE_INFINITY, gpus: Number.POSITIVE_INFINITY, maxConcurrent };
  }

  async resolveImage(reference: string): Promise<ImageIdentity | null> {
    const pinned = pinnedIdentity(reference);
    if (pinned) return pinned;
    if (this.options.resolveLocalImage) {
      try {
        const local = await this.options.resolveLocalImage(reference);
        if (local) return local;
      } catch (error) {
        if (!(error instanceof LaunchError && error.kind === "engine_unavailable")) throw error;
      }
    }
    try {
      return identityFromNodes(reference, await this.api.listNodes());
    } catch (error) {
      throw this.apiFailure("cannot list the nodes' images", error);
    }
  }

  async launch(request: LaunchRequest): Promise<void> {
    await this.synced();
    const known = this.attempts.get(request.attemptId);
    if ((known?.job && !known.jobDeleted) || this.cancelled.has(request.attemptId)) return; // adopted, or ran and was cancelled
    this.released.delete(request.attemptId);
    const job = buildJob({ ...request, mounts: request.mounts.map((mount) => this.claimable(mount)) }, this.settings);
    try {
      const created = await this.api.createJob(job);
      this.caches?.jobs.insertCreated(created);
    } catch (error) {
      if (httpStatusOf(error) === 409) {
        this.expected.add(request.attemptId); // created before (a crash, a second controller): adopted, not created twice
        return;
      }
      if (httpStatusOf(error) === 404) throw new LaunchError("launch_error", `namespace ${this.settings.namespace} does not exist: ${apiMessage(error)}`, { cause: error });
      throw this.apiFailure(`Job ${job.metadata?.name} was refused`, error);
    }
  }

  async observe(attemptId: string): Promise<AttemptObservation> {
    await this.synced();
    return this.view(attemptId);
  }

  async cancel(attemptId: string, graceSeconds: number): Promise<void> {
    await this.synced();
    const tracked = this.attempts.get(attemptId);
    if (!tracked && !this.expected.has(attemptId)) return;
    this.cancelled.add(attemptId);
    const grace = Math.max(0, Math.round(graceSeconds));
    await this.ignoreMissing(() => this.api.deleteJob(jobNameOf(attemptId), grace));
    const podName = tracked?.pod?.metadata?.name;
    if (podName && !tracked.podDeleted) await this.ignoreMissing(() => this.api.deletePod(podName, grace));
    this.notify(attemptId);
  }

  /** The pod's log into a bounded file; then the Job may go (ttlSecondsAfterFinished), its evidence is kept. */
  async collectLogs(attemptId: string, destinationFile: string): Promise<void> {
    await this.synced();
    const tracked = this.attempts.get(attemptId);
    try {
      const podName = tracked?.pod?.metadata?.name;
      if (!podName) throw new Error(`attempt ${attemptId} has no pod to read a log from`);
      const out = new BoundedLogFile(destinationFile);
      try {
        await this.api.podLog(podName, CONTAINER_NAME, out);
      } catch (error) {
        out.end();
        throw new Error(`the log of pod ${podName} cannot be read: ${apiMessage(error)}`, { cause: error });
      }
    } finally {
      if (tracked?.job && !tracked.jobDeleted) {
        await this.ignoreMissing(() => this.api.patchJob(tracked.jobName, { spec: { ttlSecondsAfterFinished: this.settings.ttlAfterLogsSeconds } }));
      }
    }
  }

  async listOwned(ownerId: string): Promise<AttemptObservation[]> {
    await this.synced();
    const watchedOwner = this.options.owner?.();
    if (watchedOwner !== undefined && watchedOwner !== ownerId) return this.listOther(ownerId);
    return [...this.attempts.values()].filter((tracked) => tracked.ids.ownerId === ownerId && !this.released.has(tracked.ids.attemptId)).map((tracked) => this.view(tracked.ids.attemptId));
  }

  async release(attemptId: string): Promise<void> {
    await this.synced();
    const tracked = this.attempts.get(attemptId);
    this.released.add(attemptId);
    this.expected.delete(attemptId);
    if (tracked?.job && !tracked.jobDeleted) await this.ignoreMissing(() => this.api.deleteJob(tracked.jobName, 0));
    this.attempts.delete(attemptId);
    this.notify(attemptId);
  }

  async waitForExit(attemptId: string): Promise<void> {
    await this.synced();
    if (ENDED.has(this.view(attemptId).state)) return;
    await new Promise<void>((resolve) => {
      const set = this.waiters.get(attemptId) ?? new Set();
      set.add(resolve);
      this.waiters.set(attemptId, set);
    });
  }

  /** Stops the watches (the process may then exit); a later call starts them again. */
  async close(): Promise<void> {
    this.caches?.jobs.stop();
    this.caches?.pods.stop();
    this.caches = undefined;
  }

  private view(attemptId: string): AttemptObservation {
    if (this.released.has(attemptId)) return { attemptId, state: "missing" };
    const tracked = this.attempts.get(attemptId);
    if (!tracked?.job) {
      if (this.expected.has(attemptId)) return { attemptId, state: "running" }; // its Job exists (409): submitted
      if (!tracked?.pod) return { attemptId, state: "missing" };
    }
    return observationOf({
      attemptId,
      ...(tracked.job ? { job: tracked.job } : {}),
      ...(tracked.pod ? { pod: tracked.pod } : {}),
      jobDeleted: tracked.jobDeleted || !tracked.job,
      podDeleted: tracked.podDeleted,
      cancelled: this.cancelled.has(attemptId),
      labels: observationLabels(tracked.ids, tracked.jobName),
    });
  }

  /** Another owner's attempts (not the watched one): one list of its Jobs and one of its Pods. */
  private async listOther(ownerId: string): Promise<AttemptObservation[]> {
    const selector = ownerSelector(ownerId);
    const [jobs, pods] = await Promise.all([this.api.jobs.list(selector), this.api.pods.list(selector)]).catch((error: unknown) => {
      throw this.apiFailure("cannot list the owner's Jobs", error);
    });
    return jobs.items.flatMap((job) => {
      const ids = idsOf(job.metadata);
      if (!ids) return [];
      const pod = pods.items.find((candidate) => idsOf(candidate.metadata)?.attemptId === ids.attemptId);
      return [observationOf({ attemptId: ids.attemptId, job, ...(pod ? { pod } : {}), jobDeleted: false, podDeleted: false, cancelled: false, labels: observationLabels(ids, job.metadata?.name ?? "") })];
    });
  }

  private track(object: V1Job | V1Pod, kind: "job" | "pod", deleted: boolean): void {
    const ids = idsOf(object.metadata);
    if (!ids) return;
    if (this.released.has(ids.attemptId)) return;
    const tracked = this.attempts.get(ids.attemptId) ?? { ids, jobName: jobNameOf(ids.attemptId), jobDeleted: false, podDeleted: false };
    if (kind === "job") {
      tracked.job = object as V1Job;
      tracked.jobDeleted = deleted;
      this.expected.delete(ids.attemptId);
    } else {
      const current = tracked.pod?.metadata?.name;
      if (deleted && current !== undefined && current !== object.metadata?.name) return; // an older pod of the attempt
      tracked.pod = object as V1Pod;
      tracked.podDeleted = deleted;
    }
    this.attempts.set(ids.attemptId, tracked);
    this.notify(ids.attemptId);
  }

  private notify(attemptId: string): void {
    const set = this.waiters.get(attemptId);
    if (!set || !ENDED.has(this.view(attemptId).state)) return;
    this.waiters.delete(attemptId);
    for (const resolve of set) resolve();
  }

  private async synced(): Promise<void> {
    if (!this.caches) {
      const owner = this.options.owner?.();
      const selector = owner !== undefined ? ownerSelector(owner) : `${K8S_LABELS.managed}=true`;
      const jobs = new ResourceCache(this.api.jobs, selector, { upsert: (job) => this.track(job, "job", false), remove: (job) => this.track(job, "job", true) });
      const pods = new ResourceCache(this.api.pods, selector, { upsert: (pod) => this.track(pod, "pod", false), remove: (pod) => this.track(pod, "pod", true) });
      this.caches = { jobs, pods };
      jobs.start();
      pods.start();
    }
    const { jobs, pods } = this.caches;
    if (jobs.isSynced && pods.isSynced) return;
    const timeoutMs = this.options.syncTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([Promise.all([jobs.whenSynced(), pods.whenSynced()]), timedOut]).finally(() => clearTimeout(timer));
    if (outcome === "timeout") {
      const last = jobs.lastError ?? pods.lastError;
      throw new LaunchError("engine_unavailable", `the Kubernetes API did not list the Jobs and Pods of namespace ${this.settings.namespace} within ${timeoutMs} ms${last ? `: ${apiMessage(last)}` : ""}`);
    }
  }

  /** A mount source under a claim, or its real path when only that is (a symlinked path); unchanged otherwise. */
  private claimable(mount: Mount): Mount {
    const claims = allClaims(this.settings);
    if (claimPathOf(mount.source, claims)) return mount;
    try {
      const real = realpathSync(mount.source);
      return claimPathOf(real, claims) ? { ...mount, source: real } : mount;
    } catch {
      return mount;
    }
  }

  private async ignoreMissing(call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (httpStatusOf(error) === 404) return;
      throw this.apiFailure("the Kubernetes API refused the call", error);
    }
  }

  private apiFailure(what: string, error: unknown): LaunchError {
    const status = httpStatusOf(error);
    if (isUnreachable(error) || (status !== undefined && status >= 500)) {
      return new LaunchError("engine_unavailable", `the Kubernetes API does not answer: ${apiMessage(error)}`, { cause: error });
    }
    return new LaunchError("launch_error", `${what}: ${apiMessage(error)}${status === 403 ? " (the service account lacks the RBAC permission)" : ""}`, { cause: error });
  }
}
