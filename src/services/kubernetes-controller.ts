/**
 * The Kubernetes parts of `multiverse controller --source kubernetes`: the cluster checked first (reachable, CRDs
 * installed), the source over Dataset/Model/Benchmark objects, the status sink that projects the journal onto
 * them (Benchmark /status, Run resources, SourceValid, Events), and the cancel-runs finalizer. They plug into the
 * same controller as the file source (startController's source, statusSinks and extensions).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { Errors } from "../domain/errors.js";
import { CancelFinalizer } from "../../controllers/cancel-finalizer.js";
import { checkCluster } from "../sources/kubernetes/cluster-check.js";
import { ClientKubeApi, loadKubeConfig, type KubeApi } from "../sources/kubernetes/kube-api.js";
import { KubernetesSource } from "../sources/kubernetes/kubernetes-source.js";
import { KubernetesStatusSink } from "../status/kubernetes/kubernetes-status-sink.js";
import type { ControllerServiceOptions } from "./controller-service.js";

export interface KubernetesSourceSettings {
  namespace?: string;
  allNamespaces: boolean;
  kubeconfig?: string;
  /** Watch timeout per connection (tests). */
  watchTimeoutSeconds?: () => number;
}

export interface KubernetesParts {
  config: KubeConfig;
  api: KubeApi;
  /** The watched namespace; undefined for all namespaces. */
  namespace: string | undefined;
  source: KubernetesSource;
  sink: KubernetesStatusSink;
  options: Pick<ControllerServiceOptions, "source" | "statusSinks" | "extensions" | "deletionGraceMs">;
}

/** The namespace of the kubeconfig's current context (in a pod: the pod's own), else "default". */
export function contextNamespace(config: KubeConfig): string {
  return config.getContextObject(config.getCurrentContext())?.namespace ?? "default";
}

export async function kubernetesParts(settings: KubernetesSourceSettings, log: (line: string) => void): Promise<KubernetesParts> {
  let config: KubeConfig;
  try {
    config = loadKubeConfig(settings.kubeconfig !== undefined ? { kubeconfig: settings.kubeconfig } : {});
  } catch (error) {
    throw Errors.kubernetesUnreachable(`no usable kubeconfig: ${(error as Error).message}`, { details: ["pass --kubeconfig PATH, set $KUBECONFIG, or run in a pod with a service account"] });
  }
  const namespace = settings.allNamespaces ? undefined : (settings.namespace ?? contextNamespace(config));
  const api = new ClientKubeApi(config);
  await checkCluster(api, namespace);
  const source = new KubernetesSource({ api, ...(namespace !== undefined ? { namespace } : {}), log, ...(settings.watchTimeoutSeconds ? { watchTimeoutSeconds: settings.watchTimeoutSeconds } : {}) });
  const sink = new KubernetesStatusSink({ api, log });
  source.observe(sink.sourceChanged);
  return {
    config,
    api,
    namespace,
    source,
    sink,
    options: {
      source,
      statusSinks: [sink],
      // Deletion on Kubernetes is explicit (the object is gone or being deleted): no grace for a checkout to settle.
      deletionGraceMs: 0,
      extensions: [
        {
          name: "kubernetes status",
          make: (context) => {
            sink.load(context.history);
            context.subscribe((records) => sink.observe(records));
            return { name: "kubernetes status", start: () => sink.start(), stop: () => sink.stop() };
          },
        },
        {
          name: "benchmark finalizer",
          make: (context) => {
            const finalizer = new CancelFinalizer({ api, view: context, log });
            source.observe(finalizer.sourceChanged);
            context.subscribe((records) => {
              if (records.some((r) => r.type === "RUN_TRANSITION" || r.type === "BENCHMARK_DELETED")) finalizer.deletionsMayHaveProgressed();
            });
            return { name: "benchmark finalizer", start: () => finalizer.start(), stop: () => finalizer.stop() };
          },
        },
      ],
    },
  };
}
