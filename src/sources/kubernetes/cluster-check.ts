/**
 * Before a controller with `--source kubernetes` takes its state root: one small list of each multiverse kind, so
 * that no cluster at the kubeconfig's address, credentials the server refuses, and CRDs that are not installed
 * are each a clear error (exit 2), not a stack trace or a controller that waits forever.
 */
import { Errors } from "../../domain/errors.js";
import { apiMessageOf, type KubeApi } from "./kube-api.js";
import { httpStatusOf } from "../../executors/kubernetes/kube-errors.js";
import { GROUP, PLURALS } from "./kube-objects.js";

export async function checkCluster(api: KubeApi, namespace: string | undefined): Promise<void> {
  for (const plural of Object.values(PLURALS)) {
    try {
      await api.list({ plural, ...(namespace !== undefined ? { namespace } : {}) }, { limit: 1 });
    } catch (error) {
      const status = httpStatusOf(error);
      const where = namespace !== undefined ? ` in namespace ${namespace}` : " in all namespaces";
      if (status === 404) {
        throw Errors.crdsMissing(`the Kubernetes API server at ${api.server} does not serve ${plural}.${GROUP}: the multiverse CRDs are not installed`, {
          details: ["install them with: kubectl apply -f crds/ (or helm install the chart)"],
        });
      }
      if (status === 401) throw Errors.kubernetesUnreachable(`the Kubernetes API server at ${api.server} refuses the kubeconfig's credentials (401 Unauthorized)`);
      if (status === 403) {
        throw Errors.kubernetesUnreachable(`the Kubernetes API server at ${api.server} forbids listing ${plural}.${GROUP}${where} (403): ${apiMessageOf(error)}`, {
          details: ["grant the controller's user or service account list/watch on the multiverse.io resources (the chart's RBAC)"],
        });
      }
      if (status !== undefined) throw Errors.kubernetesUnreachable(`the Kubernetes API server at ${api.server} answered ${status} to a list of ${plural}.${GROUP}${where}: ${apiMessageOf(error)}`);
      throw Errors.kubernetesUnreachable(`no Kubernetes API server answers at ${api.server}: ${apiMessageOf(error)}`, {
        details: ["check --kubeconfig (or $KUBECONFIG) and that the cluster is running"],
      });
    }
  }
}
