/**
 * The narrow door to the API server every Kubernetes part goes through: list and watch a collection, server-side
 * apply an object or its /status (always with the one field manager), patch finalizers, create an Event. Built on
 * @kubernetes/client-node 1.4 with its traps handled here once: patches default to JSON Patch unless the
 * Content-Type is set, the field manager defaults to "node-fetch", and errors carry the HTTP code in `code`
 * (API calls) or `statusCode` (watches).
 */
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, Watch, setHeaderOptions, type CoreV1Event } from "@kubernetes/client-node";
import { GROUP, VERSION, FIELD_MANAGER, collectionPath, isKubeObject, type CollectionRef, type KubeObject, type ObjectRef } from "./kube-objects.js";

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject | { code?: number; reason?: string; message?: string };
}

export interface WatchHandle {
  abort(): void;
}

export interface JsonPatchOperation {
  op: "add" | "remove" | "replace" | "test";
  path: string;
  value?: unknown;
}

export interface KubeApi {
  /** The API server's address (for messages). */
  readonly server: string;
  list(ref: CollectionRef, options?: { limit?: number }): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  /** Watches from resourceVersion; `onDone` is called once, with the error or null when the server closed it. */
  watch(ref: CollectionRef, params: { resourceVersion: string; timeoutSeconds: number }, onEvent: (event: WatchEvent) => void, onDone: (error: unknown) => void): Promise<WatchHandle>;
  get(ref: ObjectRef): Promise<KubeObject>;
  /** Server-side apply of the object itself (metadata, spec), forced, with the field manager multiverse-controller. */
  apply(ref: ObjectRef, body: KubeObject): Promise<KubeObject>;
  /** Server-side apply of the /status subresource. */
  applyStatus(ref: ObjectRef, body: KubeObject): Promise<KubeObject>;
  /** A JSON Patch of the object (finalizers: a `test` first makes it safe against concurrent writers). */
  patch(ref: ObjectRef, operations: JsonPatchOperation[]): Promise<KubeObject>;
  createEvent(namespace: string, event: CoreV1Event): Promise<void>;
}

/** The API server's own message (a Status object's message), else the error's. */
export function apiMessageOf(error: unknown): string {
  if (error !== null && typeof error === "object" && "body" in error) {
    const body = (error as { body: unknown }).body;
    try {
      const parsed: unknown = typeof body === "string" ? JSON.parse(body) : body;
      if (parsed !== null && typeof parsed === "object" && typeof (parsed as { message?: unknown }).message === "string") return (parsed as { message: string }).message;
    } catch {
      // not JSON: the error's own message below
    }
  }
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}

/** The kubeconfig: the given file, else in-cluster (a pod's service account), else $KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(options: { kubeconfig?: string; env?: NodeJS.ProcessEnv } = {}): KubeConfig {
  const config = new KubeConfig();
  const env = options.env ?? process.env;
  if (options.kubeconfig !== undefined) config.loadFromFile(options.kubeconfig);
  else if (env.KUBERNETES_SERVICE_HOST && env.KUBECONFIG === undefined) config.loadFromCluster();
  else config.loadFromDefault();
  return config;
}

function toObject(value: unknown): KubeObject {
  if (!isKubeObject(value)) throw new Error("the API server answered with something that is not an object");
  return value;
}

export class ClientKubeApi implements KubeApi {
  readonly server: string;
  private readonly objects: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly watcher: Watch;

  constructor(private readonly config: KubeConfig) {
    this.server = config.getCurrentCluster()?.server ?? "(no cluster in the kubeconfig)";
    this.objects = config.makeApiClient(CustomObjectsApi);
    this.core = config.makeApiClient(CoreV1Api);
    this.watcher = new Watch(config);
  }

  async list(ref: CollectionRef, options: { limit?: number } = {}): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const base = { group: GROUP, version: VERSION, plural: ref.plural, ...(options.limit !== undefined ? { limit: options.limit } : {}) };
    const answer: unknown = ref.namespace !== undefined ? await this.objects.listNamespacedCustomObject({ ...base, namespace: ref.namespace }) : await this.objects.listClusterCustomObject(base);
    const list = answer as { items?: unknown[]; metadata?: { resourceVersion?: string } };
    return { items: (list.items ?? []).filter(isKubeObject), resourceVersion: list.metadata?.resourceVersion ?? "" };
  }

  async watch(ref: CollectionRef, params: { resourceVersion: string; timeoutSeconds: number }, onEvent: (event: WatchEvent) => void, onDone: (error: unknown) => void): Promise<WatchHandle> {
    const query = { resourceVersion: params.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: params.timeoutSeconds };
    const controller = await this.watcher.watch(collectionPath(ref), query, (type: string, object: unknown) => onEvent({ type: type as WatchEvent["type"], object: object as WatchEvent["object"] }), onDone);
    return { abort: () => controller.abort() };
  }

  async get(ref: ObjectRef): Promise<KubeObject> {
    return toObject(await this.objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, ...ref }));
  }

  async apply(ref: ObjectRef, body: KubeObject): Promise<KubeObject> {
    const answer: unknown = await this.objects.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, ...ref, body, fieldManager: FIELD_MANAGER, force: true },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );
    return toObject(answer);
  }

  async applyStatus(ref: ObjectRef, body: KubeObject): Promise<KubeObject> {
    const answer: unknown = await this.objects.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, ...ref, body, fieldManager: FIELD_MANAGER, force: true },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );
    return toObject(answer);
  }

  async patch(ref: ObjectRef, operations: JsonPatchOperation[]): Promise<KubeObject> {
    const answer: unknown = await this.objects.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, ...ref, body: operations, fieldManager: FIELD_MANAGER },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    );
    return toObject(answer);
  }

  async createEvent(namespace: string, event: CoreV1Event): Promise<void> {
    await this.core.createNamespacedEvent({ namespace, body: event });
  }
}
