/**
 * Kubernetes names and labels of an attempt's Job. Pure. Object names are DNS-1123 labels (at most 63 characters of
 * [a-z0-9-], starting and ending with an alphanumeric); label values are at most 63 characters of [A-Za-z0-9._-]
 * starting and ending with an alphanumeric. Values that do not fit are shortened with a hash of the whole value, and
 * the exact values are kept in annotations (which have no such limits).
 */
import { createHash } from "node:crypto";
import { attemptHandle, LABELS } from "../executor.js";

/** The label and annotation keys of multiverse's Jobs and Pods (Kubernetes-style prefixed keys). */
export const K8S_LABELS = {
  managed: "multiverse.io/managed",
  owner: "multiverse.io/owner",
  attempt: "multiverse.io/attempt",
  run: "multiverse.io/run",
} as const;

/** Annotations carry the exact ids (label values may be hashed). */
export const K8S_ANNOTATIONS = {
  owner: "multiverse.io/owner-id",
  attempt: "multiverse.io/attempt-id",
  run: "multiverse.io/run-id",
} as const;

/** The container of every attempt's pod. */
export const CONTAINER_NAME = "model";

const MAX_NAME = 63;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function shortHash(value: string, length: number): string {
  return createHash("sha256").update(value).digest("hex").slice(0, length);
}

export function isDnsLabel(name: string): boolean {
  return name.length <= MAX_NAME && DNS_LABEL.test(name);
}

export function isLabelValue(value: string): boolean {
  return value.length <= MAX_NAME && LABEL_VALUE.test(value);
}

/**
 * The Job of an attempt: `mv-<attemptId>` (the handle every executor uses) when that is a DNS-1123 label, else its
 * lower-cased, cleaned prefix and a hash of the attempt id, so that two attempt ids never share a name.
 */
export function jobNameOf(attemptId: string): string {
  const handle = attemptHandle(attemptId);
  if (isDnsLabel(handle)) return handle;
  const hash = shortHash(attemptId, 12);
  const cleaned = handle
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, MAX_NAME - hash.length - 1)
    .replace(/-+$/, "");
  return `${cleaned || "mv"}-${hash}`;
}

/** A label value for an id: the id itself when it is one, else a cleaned prefix and a hash of the id. */
export function labelValueOf(id: string): string {
  if (isLabelValue(id)) return id;
  const hash = shortHash(id, 12);
  const cleaned = id
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .slice(0, MAX_NAME - hash.length - 1)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return cleaned ? `${cleaned}-${hash}` : hash;
}

export interface AttemptIds {
  ownerId: string;
  attemptId: string;
  runId: string;
}

export function jobLabels(ids: AttemptIds): Record<string, string> {
  return {
    [K8S_LABELS.managed]: "true",
    [K8S_LABELS.owner]: labelValueOf(ids.ownerId),
    [K8S_LABELS.attempt]: labelValueOf(ids.attemptId),
    [K8S_LABELS.run]: labelValueOf(ids.runId),
  };
}

export function jobAnnotations(ids: AttemptIds): Record<string, string> {
  return { [K8S_ANNOTATIONS.owner]: ids.ownerId, [K8S_ANNOTATIONS.attempt]: ids.attemptId, [K8S_ANNOTATIONS.run]: ids.runId };
}

/** The label selector of one owner's Jobs and Pods. */
export function ownerSelector(ownerId: string): string {
  return `${K8S_LABELS.managed}=true,${K8S_LABELS.owner}=${labelValueOf(ownerId)}`;
}

/** The ids of an object multiverse created, from its annotations; undefined for anything else. */
export function idsOf(metadata: { annotations?: Record<string, string> } | undefined): AttemptIds | undefined {
  const annotations = metadata?.annotations ?? {};
  const ownerId = annotations[K8S_ANNOTATIONS.owner];
  const attemptId = annotations[K8S_ANNOTATIONS.attempt];
  const runId = annotations[K8S_ANNOTATIONS.run];
  if (!ownerId || !attemptId || !runId) return undefined;
  return { ownerId, attemptId, runId };
}

/** The labels an observation reports: the executor interface's keys with the exact ids. */
export function observationLabels(ids: AttemptIds, jobName: string): Record<string, string> {
  return { [LABELS.owner]: ids.ownerId, [LABELS.attempt]: ids.attemptId, [LABELS.run]: ids.runId, job: jobName };
}
