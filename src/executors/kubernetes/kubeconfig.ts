/** Which cluster the executor talks to: a kubeconfig file when given, else $KUBECONFIG, ~/.kube/config or the pod's service account. */
import { existsSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { Errors } from "../../domain/errors.js";

export function loadKubeConfig(file?: string): KubeConfig {
  const config = new KubeConfig();
  if (file) {
    if (!existsSync(file)) throw Errors.usage(`the kubeconfig ${file} does not exist (--kubeconfig or MULTIVERSE_KUBECONFIG)`);
    config.loadFromFile(file);
  } else {
    config.loadFromDefault();
  }
  if (!config.getCurrentCluster()) throw Errors.usage(`no Kubernetes cluster is configured${file ? ` in ${file}` : " (set --kubeconfig, KUBECONFIG, or run in a pod)"}`);
  return config;
}
