import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { containerTracking, containerTrackingUri, isLoopbackHost, resolveTracking } from "../../../src/tracking/tracking-config.js";

const store = { experimentName: "bench", layout: "store" as const };

describe("tracking settings", () => {
  test("off without a manifest URI or MLFLOW_TRACKING_URI", () => {
    assert.equal(resolveTracking(store, {}), undefined);
    assert.equal(resolveTracking(store, { MLFLOW_TRACKING_URI: "  " }), undefined);
  });
  test("the environment turns it on for store-layout runs; the manifest wins over it", () => {
    assert.deepEqual(resolveTracking(store, { MLFLOW_TRACKING_URI: "http://127.0.0.1:25000/", MLFLOW_EXPERIMENT_NAME: "env-exp" }), {
      trackingUri: "http://127.0.0.1:25000",
      experimentName: "env-exp",
      logEmbeddings: false,
      maxArtifactBytes: 100 * 1024 * 1024,
      containerNetwork: false,
    });
    const manifest = { ...store, tracking: { trackingUri: "http://mlflow:5000", experimentName: "m", logEmbeddings: true, maxArtifactMb: 1, containerNetwork: true } };
    assert.deepEqual(resolveTracking(manifest, { MLFLOW_TRACKING_URI: "http://other:1" }), {
      trackingUri: "http://mlflow:5000",
      experimentName: "m",
      logEmbeddings: true,
      maxArtifactBytes: 1024 * 1024,
      containerNetwork: true,
    });
  });
  test("simple-layout runs are contract-only: the environment alone does not track them", () => {
    assert.equal(resolveTracking({ ...store, layout: "simple" }, { MLFLOW_TRACKING_URI: "http://127.0.0.1:1" }), undefined);
    assert.equal(resolveTracking({ ...store, layout: "simple", tracking: { trackingUri: "http://h:1" } }, {})?.experimentName, "bench");
  });
});

describe("container view of the tracking server", () => {
  test("loopback hosts", () => {
    for (const h of ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1"]) assert.ok(isLoopbackHost(h), h);
    for (const h of ["10.0.0.1", "mlflow", "host.docker.internal"]) assert.ok(!isLoopbackHost(h), h);
  });
  test("loopback URIs are rewritten to host.docker.internal, others kept", () => {
    assert.equal(containerTrackingUri("http://127.0.0.1:25000"), "http://host.docker.internal:25000");
    assert.equal(containerTrackingUri("http://localhost:25000/prefix"), "http://host.docker.internal:25000/prefix");
    assert.equal(containerTrackingUri("https://mlflow.lab.org"), "https://mlflow.lab.org");
  });
  const tracking = { trackingUri: "http://127.0.0.1:25000", experimentName: "e", logEmbeddings: false, maxArtifactBytes: 1, containerNetwork: false };
  test("Docker without a network: the run id only; epoch metrics come from metrics.jsonl after exit", () => {
    assert.deepEqual(containerTracking("docker", tracking, "abc"), { env: { MLFLOW_RUN_ID: "abc", MLFLOW_EXPERIMENT_NAME: "e" }, network: false, epochMetrics: "projected-after-exit" });
  });
  test("Docker with the tracking network: bridge, rewritten URI, streamed", () => {
    assert.deepEqual(containerTracking("docker", { ...tracking, containerNetwork: true }, "abc"), {
      env: { MLFLOW_RUN_ID: "abc", MLFLOW_EXPERIMENT_NAME: "e", MLFLOW_TRACKING_URI: "http://host.docker.internal:25000" },
      network: true,
      epochMetrics: "streamed",
    });
  });
  test("host processes (local, Slurm) get the URI as it is", () => {
    for (const backend of ["local", "slurm"] as const) {
      assert.equal(containerTracking(backend, tracking, "abc").env.MLFLOW_TRACKING_URI, "http://127.0.0.1:25000");
    }
  });
});
