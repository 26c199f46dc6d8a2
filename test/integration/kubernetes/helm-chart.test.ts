/**
 * charts/multiverse with the real helm (built by scripts/setup-k8s.sh): `helm lint` passes, `helm template` renders
 * the controller Deployment (source kubernetes, backend kubernetes, leader election, the state claim at /state,
 * the restricted security context), its ServiceAccount and RBAC, and refuses values that would let two
 * controllers reconcile at once. The chart's CRDs are the generated ones.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../../../src/util/paths.js";
import { helmPath } from "../../helpers/k8s-cluster.js";

const helm = helmPath();
const skip = helm === undefined ? "helm is not built: run scripts/setup-k8s.sh" : false;
if (skip && process.env.CI) throw new Error(`CI needs helm: ${skip}`);
const chart = join(repoRoot(), "charts", "multiverse");
const NAMESPACE = "k8s-cluster-helm";

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}
interface Container {
  name: string;
  image: string;
  imagePullPolicy: string;
  args: string[];
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface DeploymentSpec {
  replicas: number;
  template: {
    spec: {
      serviceAccountName: string;
      securityContext: Record<string, unknown>;
      containers: Container[];
      volumes: { name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } }[];
    };
  };
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

function helmRun(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(helm!, args, { encoding: "utf8", timeout: 60_000 });
}

function render(...sets: string[]): Manifest[] {
  const result = helmRun(["template", "mv", chart, "--namespace", NAMESPACE, ...sets.flatMap((set) => ["--set", set])]);
  assert.equal(result.status, 0, result.stderr);
  return parseAllDocuments(result.stdout).map((document) => document.toJS() as Manifest).filter(Boolean);
}

function deployment(manifests: Manifest[]): DeploymentSpec & { container: Container } {
  const found = manifests.find((manifest) => manifest.kind === "Deployment");
  assert.ok(found, "no Deployment rendered");
  const spec = found.spec as DeploymentSpec;
  return { ...spec, container: spec.template.spec.containers[0]! };
}

/** The value following a flag in an argument list. */
function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
}

describe("the Helm chart", { skip }, () => {
  test("helm lint --strict passes", () => {
    const result = helmRun(["lint", "--strict", chart]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  test("the default release: ServiceAccount, Role and RoleBinding, state claim, Deployment of the controller on the kubernetes source and backend", () => {
    const manifests = render();
    assert.deepEqual(manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`).sort(), [
      `ClusterRole/mv-multiverse-${NAMESPACE}-nodes`,
      `ClusterRoleBinding/mv-multiverse-${NAMESPACE}-nodes`,
      "Deployment/mv-multiverse",
      "PersistentVolumeClaim/mv-multiverse-state",
      "Role/mv-multiverse",
      "RoleBinding/mv-multiverse",
      "Secret/mv-multiverse-api-token",
      "Service/mv-multiverse",
      "ServiceAccount/mv-multiverse",
    ]);
    const { replicas, template, container } = deployment(manifests);
    assert.equal(replicas, 1);
    assert.equal(template.spec.serviceAccountName, "mv-multiverse");
    assert.equal(container.image, "multiverse-controller:0.1.0");
    assert.equal(container.imagePullPolicy, "Never");
    const args = container.args;
    assert.equal(args[0], "controller");
    assert.equal(flag(args, "--source"), "kubernetes");
    assert.equal(flag(args, "--namespace"), NAMESPACE);
    assert.ok(!args.includes("--all-namespaces"));
    assert.equal(flag(args, "--backend"), "kubernetes");
    assert.equal(flag(args, "--state-root"), "/state");
    assert.ok(args.includes("--leader-elect"));
    assert.equal(flag(args, "--leader-elect-lease-name"), "multiverse-controller");
    assert.equal(flag(args, "--kube-state-claim"), "mv-multiverse-state:/state");
    assert.ok(!args.includes("--watch"), "the kubernetes source watches no directory");
    // the state claim at /state
    assert.ok(container.volumeMounts.some((mount) => mount.name === "state" && mount.mountPath === "/state"));
    assert.deepEqual(template.spec.volumes.find((volume) => volume.name === "state")?.persistentVolumeClaim, { claimName: "mv-multiverse-state" });
    // the restricted Pod Security Standard
    assert.equal(template.spec.securityContext.runAsNonRoot, true);
    assert.deepEqual(template.spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
  });

  test("the Role grants the CRs and their status, Jobs, pods and their logs, events, Leases and reading claims", () => {
    const role = render().find((manifest) => manifest.kind === "Role")!;
    assert.equal(role.metadata.namespace, NAMESPACE);
    const rules = role.rules as Rule[];
    const allows = (group: string, resource: string, verb: string): boolean =>
      rules.some((rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes(verb));
    for (const resource of ["datasets", "models", "benchmarks", "runs"]) {
      for (const verb of ["get", "list", "watch"]) assert.ok(allows("multiverse.io", resource, verb), `${verb} ${resource}`);
      assert.ok(allows("multiverse.io", `${resource}/status`, "patch"), `patch ${resource}/status`);
    }
    for (const verb of ["create", "delete", "patch"]) assert.ok(allows("multiverse.io", "runs", verb), `${verb} runs`);
    assert.ok(allows("multiverse.io", "benchmarks", "update"), "update benchmarks (the finalizer)");
    for (const verb of ["create", "get", "list", "watch", "delete"]) assert.ok(allows("batch", "jobs", verb), `${verb} jobs`);
    for (const verb of ["get", "list", "watch"]) assert.ok(allows("", "pods", verb), `${verb} pods`);
    assert.ok(allows("", "pods/log", "get"));
    assert.ok(allows("", "events", "create"));
    for (const verb of ["get", "create", "update"]) assert.ok(allows("coordination.k8s.io", "leases", verb), `${verb} leases`);
    assert.ok(allows("", "persistentvolumeclaims", "get"));
    const binding = render().find((manifest) => manifest.kind === "RoleBinding")!;
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "mv-multiverse", namespace: NAMESPACE }]);
  });

  test("backend kubernetes: a ClusterRole to read the nodes (an image's repo digest is in node.status.images), bound to the service account; none with backend local", () => {
    const nodes = render().filter((manifest) => manifest.kind === "ClusterRole" && manifest.metadata.name === `mv-multiverse-${NAMESPACE}-nodes`);
    assert.equal(nodes.length, 1);
    assert.deepEqual(nodes[0]!.rules, [{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "list"] }]);
    const binding = render().find((manifest) => manifest.kind === "ClusterRoleBinding" && manifest.metadata.name === `mv-multiverse-${NAMESPACE}-nodes`)!;
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "mv-multiverse", namespace: NAMESPACE }]);
    assert.ok(!render("backend=local").some((manifest) => manifest.kind === "ClusterRole"));
  });

  test("watch.allNamespaces: a ClusterRole and ClusterRoleBinding, and --all-namespaces instead of --namespace", () => {
    const manifests = render("watch.allNamespaces=true");
    const kinds = manifests.map((manifest) => manifest.kind);
    assert.ok(kinds.includes("ClusterRole") && kinds.includes("ClusterRoleBinding"));
    assert.ok(!kinds.includes("Role"));
    const { container } = deployment(manifests);
    assert.ok(container.args.includes("--all-namespaces"));
    assert.equal(flag(container.args, "--namespace"), undefined);
  });

  test("values: replicas and lease name, the datasets claim mounted read-only at /data, the image", () => {
    const { replicas, template, container } = deployment(
      render("replicaCount=2", "leaderElection.leaseName=mv-lease", "datasets.existingClaim=single-cell-data", "image.repository=registry.example/mv", "image.tag=9", "image.pullPolicy=IfNotPresent"),
    );
    assert.equal(replicas, 2);
    assert.equal(flag(container.args, "--leader-elect-lease-name"), "mv-lease");
    assert.equal(flag(container.args, "--kube-dataset-claim"), "single-cell-data:/data");
    assert.deepEqual(container.volumeMounts.find((mount) => mount.name === "datasets"), { name: "datasets", mountPath: "/data", readOnly: true });
    assert.deepEqual(template.spec.volumes.find((volume) => volume.name === "datasets")?.persistentVolumeClaim, { claimName: "single-cell-data", readOnly: true });
    assert.equal(container.image, "registry.example/mv:9");
    assert.equal(container.imagePullPolicy, "IfNotPresent");
  });

  test("source files keeps the watched directory (a ConfigMap at /benchmarks) and names no kubernetes source flag", () => {
    const manifests = render("source=files", "leaderElection.enabled=false", "backend=local");
    assert.ok(manifests.some((manifest) => manifest.kind === "ConfigMap"));
    const { container } = deployment(manifests);
    assert.equal(flag(container.args, "--watch"), "/benchmarks");
    for (const name of ["--source", "--namespace", "--leader-elect", "--kube-state-claim"]) assert.ok(!container.args.includes(name), name);
  });

  test("hostNetwork and apiServer: the controller on the node's network, in-cluster configuration pointed at the API server", () => {
    const manifests = render("hostNetwork=true", "apiServer.host=127.0.0.1", "apiServer.port=6443");
    const spec = (manifests.find((manifest) => manifest.kind === "Deployment")!.spec as { template: { spec: { hostNetwork?: boolean; containers: { env: { name: string; value?: string }[] }[] } } }).template.spec;
    assert.equal(spec.hostNetwork, true);
    const env = Object.fromEntries(spec.containers[0]!.env.map((variable) => [variable.name, variable.value]));
    assert.equal(env.KUBERNETES_SERVICE_HOST, "127.0.0.1");
    assert.equal(env.KUBERNETES_SERVICE_PORT, "6443");
    const plain = (render().find((manifest) => manifest.kind === "Deployment")!.spec as { template: { spec: { hostNetwork?: boolean; containers: { env: { name: string }[] }[] } } }).template.spec;
    assert.equal(plain.hostNetwork, undefined);
    assert.ok(!plain.containers[0]!.env.some((variable) => variable.name.startsWith("KUBERNETES_")));
  });

  test("values that would let two controllers reconcile at once are refused", () => {
    const twoWithoutLease = helmRun(["template", "mv", chart, "--set", "replicaCount=2", "--set", "leaderElection.enabled=false"]);
    assert.notEqual(twoWithoutLease.status, 0);
    assert.match(twoWithoutLease.stderr, /replicaCount above 1 needs leaderElection\.enabled/);
    const badSource = helmRun(["template", "mv", chart, "--set", "source=git"]);
    assert.notEqual(badSource.status, 0);
    assert.match(badSource.stderr, /source must be kubernetes or files, not "git"/);
  });

  test("the chart's CRDs are byte for byte the ones in crds/", () => {
    const files = readdirSync(join(repoRoot(), "crds")).sort();
    assert.deepEqual(readdirSync(join(chart, "crds")).sort(), files);
    for (const file of files) assert.equal(readFileSync(join(chart, "crds", file), "utf8"), readFileSync(join(repoRoot(), "crds", file), "utf8"), file);
  });
});
