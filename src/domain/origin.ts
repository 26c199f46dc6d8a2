/**
 * Where a declared resource came from: a file and line (the file source, `multiverse apply`), or a Kubernetes
 * object (namespace, name, uid, resourceVersion, metadata.generation). Status and messages name it; a source that
 * has its own generation (Kubernetes) hands it over instead of one derived from the spec.
 */
export interface FileOrigin {
  kind: "file";
  file: string;
  line?: number;
  column?: number;
}

export interface KubernetesOrigin {
  kind: "kubernetes";
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  generation: number;
}

export type ResourceOrigin = FileOrigin | KubernetesOrigin;

export function fileOrigin(file: string, line?: number, column?: number): FileOrigin {
  return { kind: "file", file, ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}) };
}

/** `file:line` or `kubernetes namespace/name`, for messages and conditions. */
export function describeOrigin(origin: ResourceOrigin): string {
  if (origin.kind === "file") return `${origin.file}${origin.line !== undefined ? `:${origin.line}` : ""}`;
  return `kubernetes ${origin.namespace}/${origin.name}`;
}

export function sameOriginDocument(a: ResourceOrigin, b: ResourceOrigin): boolean {
  if (a.kind === "file" && b.kind === "file") return a.file === b.file;
  if (a.kind === "kubernetes" && b.kind === "kubernetes") return a.uid === b.uid;
  return false;
}
