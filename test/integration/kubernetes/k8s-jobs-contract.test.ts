/**
 * The executor conformance suite against the Kubernetes Job executor on the real test cluster (a kubelet on
 * containerd, the contract image imported into it), with the suite's dataset and workspaces under a hostPath
 * PersistentVolume's directory, reached by the pods through its claim.
 */
import { CONTRACT_TEST_IMAGE } from "../../helpers/docker.js";
import { ensureNamespaceWithClaim, importImage, requireK8sOrSkip, testKubeconfig, TEST_CLAIM_DIR } from "../../helpers/k8s-jobs-cluster.js";
import { KubernetesJobExecutor } from "../../../src/executors/kubernetes/kubernetes-executor.js";
import { executorContractSuite } from "../../contracts/executor-contract.js";

const NAMESPACE = "k8s-jobs-contract";
const skip = requireK8sOrSkip([CONTRACT_TEST_IMAGE]);

executorContractSuite(
  "kubernetes",
  async () => {
    importImage(CONTRACT_TEST_IMAGE);
    const claim = ensureNamespaceWithClaim(NAMESPACE);
    return new KubernetesJobExecutor({
      settings: { namespace: NAMESPACE, kubeconfig: testKubeconfig(), stateClaim: claim, datasetClaims: [], imagePullPolicy: "Never", ttlAfterLogsSeconds: 600, maxInflight: 50 },
    });
  },
  {
    image: CONTRACT_TEST_IMAGE,
    skip,
    workDir: TEST_CLAIM_DIR,
    skips: {
      "no-network": "a pod's network is the cluster's to restrict (a NetworkPolicy); the Job executor does not isolate it",
    },
  },
);
