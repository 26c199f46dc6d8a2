/**
 * The client-node JobApi, made on first use. Loading @kubernetes/client-node costs a process about 75 MiB and a
 * noticeable part of its start, so a controller or `run` that never launches a Kubernetes attempt pays for neither.
 * A kubeconfig that cannot be loaded fails the first call, and every later one, with the same error.
 */
import type { Writable } from "node:stream";
import type { KubernetesObject, V1Job, V1Node, V1Pod } from "@kubernetes/client-node";
import type { JobApi, ListResult, ListWatchSource, WatchEventType, WatchHandle } from "./kube-api.js";

export class LazyJobApi implements JobApi {
  private loading: Promise<JobApi> | undefined;
  private loaded: JobApi | undefined;
  readonly jobs: ListWatchSource<V1Job>;
  readonly pods: ListWatchSource<V1Pod>;

  constructor(
    private readonly kubeconfig: string | undefined,
    private readonly namespace: string,
  ) {
    this.jobs = this.source("jobs", (api) => api.jobs);
    this.pods = this.source("pods", (api) => api.pods);
  }

  private api(): Promise<JobApi> {
    this.loading ??= (async () => {
      const [{ ClientNodeJobApi }, { loadKubeConfig }] = await Promise.all([import("./kube-api.js"), import("./kubeconfig.js")]);
      this.loaded = new ClientNodeJobApi(loadKubeConfig(this.kubeconfig), this.namespace);
      return this.loaded;
    })();
    return this.loading;
  }

  private source<T extends KubernetesObject>(kind: string, of: (api: JobApi) => ListWatchSource<T>): ListWatchSource<T> {
    return {
      kind,
      list: async (labelSelector: string): Promise<ListResult<T>> => of(await this.api()).list(labelSelector),
      watch: async (labelSelector: string, resourceVersion: string, onEvent: (type: WatchEventType, object: T) => void, onDone: (error: unknown) => void): Promise<WatchHandle> =>
        of(await this.api()).watch(labelSelector, resourceVersion, onEvent, onDone),
    };
  }

  get requests(): ReadonlyMap<string, number> {
    return this.loaded?.requests ?? new Map();
  }

  async createJob(job: V1Job): Promise<V1Job> {
    return (await this.api()).createJob(job);
  }

  async deleteJob(name: string, gracePeriodSeconds: number): Promise<void> {
    return (await this.api()).deleteJob(name, gracePeriodSeconds);
  }

  async deletePod(name: string, gracePeriodSeconds: number): Promise<void> {
    return (await this.api()).deletePod(name, gracePeriodSeconds);
  }

  async patchJob(name: string, patch: object): Promise<void> {
    return (await this.api()).patchJob(name, patch);
  }

  async podLog(podName: string, container: string, sink: Writable): Promise<void> {
    return (await this.api()).podLog(podName, container, sink);
  }

  async listNodes(): Promise<V1Node[]> {
    return (await this.api()).listNodes();
  }
}
