/**
 * The few Kubernetes API calls the Job executor makes, behind one narrow interface, with every request counted
 * (the API-rate benchmark reads the counts). The real implementation uses @kubernetes/client-node.
 */
import type { Writable } from "node:stream";
import { BatchV1Api, CoreV1Api, Log, PatchStrategy, setHeaderOptions, Watch, type KubeConfig, type KubernetesObject, type V1Job, type V1Node, type V1Pod } from "@kubernetes/client-node";

export const FIELD_MANAGER = "multiverse-job-executor";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export interface WatchHandle {
  abort(): void;
}

/** List and watch one kind of object with a label selector (the cache's only view of the API). */
export interface ListWatchSource<T extends KubernetesObject> {
  readonly kind: string;
  list(labelSelector: string): Promise<ListResult<T>>;
  /** Starts a watch from resourceVersion; `onDone` is called once when it ends (null: the server closed it). */
  watch(labelSelector: string, resourceVersion: string, onEvent: (type: WatchEventType, object: T) => void, onDone: (error: unknown) => void): Promise<WatchHandle>;
}

export interface JobApi {
  readonly jobs: ListWatchSource<V1Job>;
  readonly pods: ListWatchSource<V1Pod>;
  createJob(job: V1Job): Promise<V1Job>;
  deleteJob(name: string, gracePeriodSeconds: number): Promise<void>;
  deletePod(name: string, gracePeriodSeconds: number): Promise<void>;
  patchJob(name: string, patch: object): Promise<void>;
  /** The container's log, streamed into `sink` (ended when the log is complete). */
  podLog(podName: string, container: string, sink: Writable): Promise<void>;
  listNodes(): Promise<V1Node[]>;
  /** Requests made so far, by verb ("list jobs", "watch pods", "create job", ...). */
  readonly requests: ReadonlyMap<string, number>;
}

/** Seconds a watch stays open before the server ends it (it is then resumed from its resourceVersion). */
const WATCH_TIMEOUT_SECONDS = 300;

export class ClientNodeJobApi implements JobApi {
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly watcher: Watch;
  private readonly counts = new Map<string, number>();
  readonly jobs: ListWatchSource<V1Job>;
  readonly pods: ListWatchSource<V1Pod>;

  constructor(
    private readonly config: KubeConfig,
    private readonly namespace: string,
  ) {
    this.batch = config.makeApiClient(BatchV1Api);
    this.core = config.makeApiClient(CoreV1Api);
    this.watcher = new Watch(config);
    this.jobs = this.source<V1Job>("jobs", `/apis/batch/v1/namespaces/${namespace}/jobs`, async (labelSelector) => {
      const list = await this.batch.listNamespacedJob({ namespace, labelSelector });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
    });
    this.pods = this.source<V1Pod>("pods", `/api/v1/namespaces/${namespace}/pods`, async (labelSelector) => {
      const list = await this.core.listNamespacedPod({ namespace, labelSelector });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
    });
  }

  get requests(): ReadonlyMap<string, number> {
    return this.counts;
  }

  private count(verb: string): void {
    this.counts.set(verb, (this.counts.get(verb) ?? 0) + 1);
  }

  private source<T extends KubernetesObject>(kind: string, path: string, list: (labelSelector: string) => Promise<ListResult<T>>): ListWatchSource<T> {
    return {
      kind,
      list: (labelSelector) => {
        this.count(`list ${kind}`);
        return list(labelSelector);
      },
      watch: async (labelSelector, resourceVersion, onEvent, onDone) => {
        this.count(`watch ${kind}`);
        const params = { labelSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_SECONDS };
        const controller = await this.watcher.watch(path, params, (type: string, object: T) => onEvent(type as WatchEventType, object), onDone);
        return { abort: () => controller.abort() };
      },
    };
  }

  async createJob(job: V1Job): Promise<V1Job> {
    this.count("create job");
    return this.batch.createNamespacedJob({ namespace: this.namespace, body: job, fieldManager: FIELD_MANAGER });
  }

  async deleteJob(name: string, gracePeriodSeconds: number): Promise<void> {
    this.count("delete job");
    await this.batch.deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy: "Background", gracePeriodSeconds });
  }

  async deletePod(name: string, gracePeriodSeconds: number): Promise<void> {
    this.count("delete pod");
    await this.core.deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds });
  }

  async patchJob(name: string, patch: object): Promise<void> {
    this.count("patch job");
    await this.batch.patchNamespacedJob({ name, namespace: this.namespace, body: patch, fieldManager: FIELD_MANAGER }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
  }

  async podLog(podName: string, container: string, sink: Writable): Promise<void> {
    this.count("get pods/log");
    const finished = new Promise<void>((resolve, reject) => {
      sink.on("finish", resolve);
      sink.on("error", reject);
    });
    await new Log(this.config).log(this.namespace, podName, container, sink, { follow: false });
    await finished;
  }

  async listNodes(): Promise<V1Node[]> {
    this.count("list nodes");
    return (await this.core.listNode()).items;
  }
}
