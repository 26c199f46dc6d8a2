/**
 * What a Job and its pod say about an attempt, as the executor interface sees it. Pure. The cluster's own verdicts
 * come first (the deadline, an eviction, a lost node, an image that cannot be had), then the container's exit.
 */
import type { V1ContainerStatus, V1Job, V1Pod } from "@kubernetes/client-node";
import type { AttemptObservation } from "../executor.js";
import type { FailureReason } from "../../domain/run-states.js";
import { CONTAINER_NAME } from "./names.js";

/** Waiting reasons of a container whose image the node does not have and cannot get. */
export const IMAGE_MISSING_REASONS: ReadonlySet<string> = new Set(["ErrImageNeverPull", "ImagePullBackOff", "ErrImagePull", "InvalidImageName"]);

/** Waiting reasons of a container the kubelet cannot create (a missing subPath, a bad config): it will not start. */
export const LAUNCH_ERROR_REASONS: ReadonlySet<string> = new Set(["CreateContainerConfigError", "CreateContainerError", "RunContainerError"]);

/** DisruptionTarget reasons and what they mean for the attempt (all infrastructure: retried under the same run). */
const DISRUPTIONS: Readonly<Record<string, FailureReason>> = {
  PreemptionByScheduler: "preempted",
  EvictionByEvictionAPI: "preempted",
  TerminationByKubelet: "preempted",
  DeletionByTaintManager: "node_fail",
  DeletionByPodGC: "node_fail",
};

/** Pod phase-Failed reasons set by the kubelet or the node lifecycle. */
const POD_FAILURE_REASONS: Readonly<Record<string, FailureReason>> = {
  Evicted: "preempted",
  Preempting: "preempted",
  NodeLost: "node_fail",
  NodeShutdown: "node_fail",
  Shutdown: "node_fail",
  Terminated: "node_fail",
  UnexpectedAdmissionError: "node_fail",
};

export interface AttemptView {
  attemptId: string;
  /** The Job as last seen (kept after it was deleted). */
  job?: V1Job;
  /** The attempt's pod as last seen (kept after it was deleted). */
  pod?: V1Pod;
  jobDeleted: boolean;
  podDeleted: boolean;
  /** This executor deleted the Job (cancel). */
  cancelled: boolean;
  labels?: Record<string, string>;
}

function containerStatus(pod: V1Pod | undefined): V1ContainerStatus | undefined {
  return pod?.status?.containerStatuses?.find((status) => status.name === CONTAINER_NAME);
}

function iso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function jobCondition(job: V1Job | undefined, type: string): { reason?: string; message?: string } | undefined {
  return job?.status?.conditions?.find((condition) => condition.type === type && condition.status === "True");
}

/** Whether the Job controller has given its verdict (the conditions it sets when the Job is over or about to be). */
function jobFinished(job: V1Job | undefined): boolean {
  return ["Complete", "Failed", "FailureTarget", "SuccessCriteriaMet"].some((type) => jobCondition(job, type) !== undefined);
}

/**
 * A pod deleted by someone while its container ran: its deletion was asked (deletionTimestamp less the grace period)
 * before the container ended. A pod deleted after its container had ended (a TTL) is not.
 */
function killedByDeletion(pod: V1Pod | undefined, finishedAt: Date | undefined): boolean {
  const deletion = pod?.metadata?.deletionTimestamp;
  if (!deletion) return false;
  // A container the kubelet killed for the deletion may carry no end time, or the zero time (1970): it ended then.
  const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : 0;
  const finished = finishedAt ? new Date(finishedAt).getTime() : Number.NaN;
  if (!Number.isFinite(finished) || finished < created) return true;
  const asked = new Date(deletion).getTime() - (pod.metadata?.deletionGracePeriodSeconds ?? 0) * 1000;
  return finished >= asked - 1000;
}

export function observationOf(view: AttemptView): AttemptObservation {
  const base = { attemptId: view.attemptId, ...(view.labels ? { labels: view.labels } : {}) };
  const status = containerStatus(view.pod);
  const terminated = status?.state?.terminated;
  // The Job's creation, not the container's start: stable from the first observation on (a pending pod has no
  // container yet), and where activeDeadlineSeconds counts from too.
  const startedAt = iso(view.job?.metadata?.creationTimestamp ?? terminated?.startedAt ?? status?.state?.running?.startedAt);
  const timing = { ...(startedAt ? { startedAt } : {}), ...(iso(terminated?.finishedAt) ? { finishedAt: iso(terminated?.finishedAt) } : {}) };
  const exited = (failure?: { reason: FailureReason; message: string }, error?: string): AttemptObservation => ({
    ...base,
    ...timing,
    state: "exited",
    exitCode: terminated?.exitCode ?? null,
    oomKilled: terminated?.reason === "OOMKilled",
    ...(failure ? { failure } : {}),
    ...(error ? { error } : {}),
  });

  const failed = jobCondition(view.job, "Failed");
  // The Job controller marks FailureTarget first, then stops the pod, then marks Failed: either says why.
  const verdict = failed ?? jobCondition(view.job, "FailureTarget");
  if (verdict?.reason === "DeadlineExceeded") {
    return exited({ reason: "timeout", message: `Kubernetes stopped the Job at its activeDeadlineSeconds (${view.job?.spec?.activeDeadlineSeconds ?? "?"} s)` });
  }
  const disruption = view.pod?.status?.conditions?.find((condition) => condition.type === "DisruptionTarget" && condition.status === "True");
  const disrupted = disruption?.reason ? DISRUPTIONS[disruption.reason] : undefined;
  if (disrupted && !view.cancelled) return exited({ reason: disrupted, message: `the pod was disrupted (${disruption?.reason}${disruption?.message ? `: ${disruption.message}` : ""}); retried under the same logical run` });
  const podReason = view.pod?.status?.phase === "Failed" ? view.pod.status.reason : undefined;
  const podFailure = podReason ? POD_FAILURE_REASONS[podReason] : undefined;
  if (podFailure && !view.cancelled) return exited({ reason: podFailure, message: `the pod failed (${podReason}${view.pod?.status?.message ? `: ${view.pod.status.message}` : ""}); retried under the same logical run` });

  if (!view.cancelled && killedByDeletion(view.pod, terminated?.finishedAt)) {
    return exited({ reason: "lost", message: "the pod was deleted outside multiverse while its container ran" });
  }
  if (terminated) {
    // The container's end is seen before the Job's verdict (a deadline, a deletion): wait for the Job controller.
    if (!view.cancelled && !view.jobDeleted && !jobFinished(view.job)) return { ...base, ...timing, state: "running" };
    return exited();
  }

  const waiting = status?.state?.waiting;
  if (waiting?.reason && IMAGE_MISSING_REASONS.has(waiting.reason)) {
    return exited({ reason: "image_missing", message: `the node cannot get image ${status?.image ?? ""} (${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""})` });
  }
  if (waiting?.reason && LAUNCH_ERROR_REASONS.has(waiting.reason)) {
    return exited({ reason: "launch_error", message: `the kubelet cannot start the container (${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""})` });
  }

  const podAlive = view.pod !== undefined && !view.podDeleted;
  if (view.cancelled) {
    if (podAlive && view.pod?.status?.phase !== "Failed" && view.pod?.status?.phase !== "Succeeded") return { ...base, ...timing, state: "running" };
    return exited(undefined, "cancelled: the Job was deleted");
  }
  if (view.podDeleted) return exited({ reason: "lost", message: "the pod was deleted outside multiverse before its container ended" });
  if (view.jobDeleted && !podAlive) return exited({ reason: "lost", message: "the Job was deleted outside multiverse before its container ended" });

  if (failed) return exited({ reason: "lost", message: `the Job failed without a container exit (${failed.reason ?? "Failed"}${failed.message ? `: ${failed.message}` : ""})` });
  if (jobCondition(view.job, "Complete")) return { ...base, ...timing, state: "exited", exitCode: 0, oomKilled: false };

  // A Job whose pod waits (to be scheduled, for its image, for its volumes) is submitted, as a queued Slurm job is:
  // running to the controller, which would otherwise launch it again and again.
  const unschedulable = view.pod?.status?.conditions?.find((condition) => condition.type === "PodScheduled" && condition.status === "False");
  return { ...base, ...timing, state: "running", ...(unschedulable?.message ? { error: `not scheduled yet: ${unschedulable.message}` } : {}) };
}
