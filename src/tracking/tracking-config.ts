/**
 * Which tracking server and experiment a run is projected to, and what its container sees. Pure.
 */
import type { Backend, RunSpec, TrackingSettings } from "../domain/resources.js";

export const DEFAULT_MAX_ARTIFACT_MB = 100;
/** The name Docker resolves to the host's gateway with `--add-host host.docker.internal:host-gateway`. */
export const CONTAINER_HOST_ALIAS = "host.docker.internal";

export interface ResolvedTracking {
  trackingUri: string;
  experimentName: string;
  logEmbeddings: boolean;
  maxArtifactBytes: number;
  containerNetwork: boolean;
}

/**
 * The manifest's globals.mlflow_* win, then $MLFLOW_TRACKING_URI / $MLFLOW_EXPERIMENT_NAME. Simple-layout runs
 * are contract-only (seeds doc 000): the environment alone does not turn tracking on for them.
 * Undefined means tracking is off for this run.
 */
export function resolveTracking(
  spec: Pick<RunSpec, "experimentName" | "layout"> & { tracking?: TrackingSettings },
  env: Readonly<Record<string, string | undefined>>,
): ResolvedTracking | undefined {
  const settings = spec.tracking ?? {};
  const fromEnv = spec.layout === "simple" ? undefined : env.MLFLOW_TRACKING_URI;
  const trackingUri = (settings.trackingUri ?? fromEnv ?? "").trim().replace(/\/+$/, "");
  if (trackingUri === "") return undefined;
  return {
    trackingUri,
    experimentName: settings.experimentName ?? (spec.layout === "simple" ? undefined : env.MLFLOW_EXPERIMENT_NAME) ?? spec.experimentName,
    logEmbeddings: settings.logEmbeddings ?? false,
    maxArtifactBytes: Math.floor((settings.maxArtifactMb ?? DEFAULT_MAX_ARTIFACT_MB) * 1024 * 1024),
    containerNetwork: settings.containerNetwork ?? false,
  };
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** A loopback URI as a container on a bridge network reaches it: through the host gateway alias. */
export function containerTrackingUri(trackingUri: string): string {
  const url = new URL(trackingUri);
  if (!isLoopbackHost(url.hostname)) return trackingUri;
  url.hostname = CONTAINER_HOST_ALIAS;
  return url.toString().replace(/\/+$/, "");
}

export interface ContainerTracking {
  env: Record<string, string>;
  /** Docker: start the container on a bridge network (with the host gateway alias). */
  network: boolean;
  /** How the run's per-epoch metrics reach MLflow, for the orchestrator log. */
  epochMetrics: "streamed" | "projected-after-exit";
}

/**
 * What the attempt's process is given. Docker containers run without a network unless the manifest asks for
 * one (mlflow_container_network): without it, the SDK's EpochLogger cannot reach the server, so it gets
 * MLFLOW_RUN_ID only (it writes metrics.jsonl and says tracking is off) and the host projects metrics.jsonl
 * into the same run after exit. Local and Slurm processes use the host's network as they are.
 */
export function containerTracking(backend: Backend, tracking: ResolvedTracking, mlflowRunId: string): ContainerTracking {
  const env: Record<string, string> = { MLFLOW_RUN_ID: mlflowRunId, MLFLOW_EXPERIMENT_NAME: tracking.experimentName };
  if (backend === "docker" || backend === "kubernetes") {
    if (backend === "docker" && tracking.containerNetwork) {
      env.MLFLOW_TRACKING_URI = containerTrackingUri(tracking.trackingUri);
      return { env, network: true, epochMetrics: "streamed" };
    }
    return { env, network: false, epochMetrics: "projected-after-exit" };
  }
  env.MLFLOW_TRACKING_URI = tracking.trackingUri;
  return { env, network: false, epochMetrics: "streamed" };
}
