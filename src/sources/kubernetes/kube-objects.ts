/**
 * The few shapes of Kubernetes objects multiverse reads and writes, and the names it uses on the API server:
 * the multiverse.io group and version of crds/, the collections of each kind, the one field manager of every
 * server-side apply, the finalizer and the labels.
 */
export const GROUP = "multiverse.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const FIELD_MANAGER = "multiverse-controller";
export const CANCEL_FINALIZER = "multiverse.io/cancel-runs";
export const BENCHMARK_LABEL = "multiverse.io/benchmark";
export const RUN_ID_LABEL = "multiverse.io/run-id";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

export type SourceKindName = "Dataset" | "Model" | "Benchmark";

export const PLURALS = { Dataset: "datasets", Model: "models", Benchmark: "benchmarks", Run: "runs" } as const;
export type Plural = (typeof PLURALS)[keyof typeof PLURALS];

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  deletionTimestamp?: string;
  creationTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: KubeObjectMeta;
  spec?: unknown;
  status?: unknown;
}

/** A collection: one kind in one namespace, or in all of them. */
export interface CollectionRef {
  plural: Plural;
  namespace?: string;
}

export interface ObjectRef {
  plural: Plural;
  namespace: string;
  name: string;
}

export function collectionPath(ref: CollectionRef): string {
  return ref.namespace !== undefined ? `/apis/${GROUP}/${VERSION}/namespaces/${ref.namespace}/${ref.plural}` : `/apis/${GROUP}/${VERSION}/${ref.plural}`;
}

export function isKubeObject(value: unknown): value is KubeObject {
  if (value === null || typeof value !== "object") return false;
  const metadata = (value as { metadata?: unknown }).metadata;
  return metadata !== null && typeof metadata === "object" && typeof (metadata as { name?: unknown }).name === "string";
}

/** `namespace/name`, how kubectl and the messages name an object. */
export function objectKey(object: { metadata: KubeObjectMeta }): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}
