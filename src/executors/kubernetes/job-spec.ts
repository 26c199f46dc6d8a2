/**
 * The batch/v1 Job of one attempt, built from the launch request. Pure. One pod, never restarted (backoffLimit 0,
 * restartPolicy Never), stopped at activeDeadlineSeconds, resources as requests = limits, a restricted security
 * context and no service-account token; the mounts come from volumes.ts.
 */
import type { V1Container, V1Job, V1ResourceRequirements, V1SecurityContext } from "@kubernetes/client-node";
import type { LaunchRequest } from "../executor.js";
import { requireMount } from "../mounts.js";
import { CONTAINER_NAME, jobAnnotations, jobLabels, jobNameOf } from "./names.js";
import { allClaims, podVolumes } from "./volumes.js";
import type { KubernetesSettings } from "./settings.js";

export const GPU_RESOURCE = "nvidia.com/gpu";

export function resourcesOf(request: Pick<LaunchRequest, "memLimitBytes" | "cpus" | "gpu">): V1ResourceRequirements {
  const amounts: Record<string, string> = {};
  if (request.memLimitBytes !== undefined) amounts.memory = String(Math.floor(request.memLimitBytes));
  if (request.cpus !== undefined) amounts.cpu = `${Math.max(1, Math.round(request.cpus * 1000))}m`;
  if (request.gpu) amounts[GPU_RESOURCE] = "1";
  if (Object.keys(amounts).length === 0) return {};
  return { requests: { ...amounts }, limits: { ...amounts } };
}

/** The restricted profile: no privilege escalation, no capabilities, the runtime's seccomp profile; non-root when a user is set. */
export function securityContextOf(runAsUser: number | undefined): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
    ...(runAsUser !== undefined && runAsUser > 0 ? { runAsNonRoot: true, runAsUser, runAsGroup: runAsUser } : {}),
  };
}

export function buildJob(request: LaunchRequest, settings: KubernetesSettings): V1Job {
  const ids = { ownerId: request.ownerId, attemptId: request.attemptId, runId: request.runId };
  const labels = jobLabels(ids);
  const annotations = jobAnnotations(ids);
  const { volumes, volumeMounts } = podVolumes(request.mounts, allClaims(settings));
  const container: V1Container = {
    name: CONTAINER_NAME,
    image: request.image,
    imagePullPolicy: settings.imagePullPolicy,
    env: Object.entries(request.env).map(([name, value]) => ({ name, value })),
    workingDir: requireMount(request.mounts, "workspace").target,
    volumeMounts,
    resources: resourcesOf(request),
    securityContext: securityContextOf(settings.runAsUser),
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: jobNameOf(request.attemptId), namespace: settings.namespace, labels, annotations },
    spec: {
      backoffLimit: 0,
      ...(request.timeoutSeconds !== undefined && request.timeoutSeconds > 0 ? { activeDeadlineSeconds: Math.ceil(request.timeoutSeconds) } : {}),
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [container],
          volumes,
        },
      },
    },
  };
}
