import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gpusOfAttempt, NvidiaSmiReader, NVIDIA_SMI_QUERY, parseNvidiaSmiCsv, requestedGpus } from "../../../src/tracking/gpu-metrics.js";
import { systemMetrics } from "../../../src/tracking/system-metrics.js";

const CSV = `0, GPU-aaaa-1111, 87, 10240
1, GPU-bbbb-2222, [N/A], 512
2, GPU-cccc-3333, 3, [Not Supported]
`;

describe("GPU readings from nvidia-smi", () => {
  test("every GPU's index, UUID, utilisation and memory; unsupported fields are absent, never 0", () => {
    assert.deepEqual(parseNvidiaSmiCsv(CSV), [
      { index: 0, uuid: "GPU-aaaa-1111", utilizationPercent: 87, memoryUsedMb: 10240 },
      { index: 1, uuid: "GPU-bbbb-2222", memoryUsedMb: 512 },
      { index: 2, uuid: "GPU-cccc-3333", utilizationPercent: 3 },
    ]);
  });

  test("blank and malformed lines are skipped", () => {
    assert.deepEqual(parseNvidiaSmiCsv("\nNo devices were found\n, ,\n"), []);
  });

  test("the GPUs a container was given: none, all, or by index or UUID", () => {
    assert.equal(requestedGpus(undefined), "none");
    assert.equal(requestedGpus([]), "none");
    assert.equal(requestedGpus([{ Driver: "", Count: 0, Capabilities: [["compute"]] }]), "none");
    assert.equal(requestedGpus([{ Driver: "nvidia", Count: -1, Capabilities: [["gpu"]] }]), "all");
    assert.deepEqual(requestedGpus([{ Driver: "", Count: 0, DeviceIDs: ["1", "GPU-cccc-3333"], Capabilities: [["gpu"]] }]), ["1", "GPU-cccc-3333"]);
    const readings = parseNvidiaSmiCsv(CSV);
    assert.deepEqual(gpusOfAttempt(readings, ["1", "GPU-cccc-3333"]).map((g) => g.index), [1, 2]);
    assert.equal(gpusOfAttempt(readings, "all").length, 3);
    assert.deepEqual(gpusOfAttempt(readings, ["0"]), [{ index: 0, utilizationPercent: 87, memoryUsedMb: 10240 }]);
  });

  test("GPU samples become MLflow's system/gpu_<i>_... metrics", () => {
    const metrics = systemMetrics([{ timestamp: 5, gpus: gpusOfAttempt(parseNvidiaSmiCsv(CSV), ["0", "1"]) }]);
    assert.deepEqual(metrics.map((m) => [m.key, m.value]), [
      ["system/gpu_0_utilization_percentage", 87],
      ["system/gpu_0_memory_usage_megabytes", 10240],
      ["system/gpu_1_memory_usage_megabytes", 512],
    ]);
  });

  test("the reader runs the real command line and parses its output; a host without nvidia-smi reads nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mv-nvsmi-"));
    try {
      const tool = join(dir, "nvidia-smi");
      // A stand-in executable that checks it is asked exactly the documented query.
      writeFileSync(tool, `#!/bin/sh\n[ "$*" = "${NVIDIA_SMI_QUERY.join(" ")}" ] || { echo "unexpected arguments: $*" >&2; exit 9; }\nprintf '0, GPU-x, 55, 2048\\n'\n`);
      chmodSync(tool, 0o755);
      assert.deepEqual(await new NvidiaSmiReader(tool).read(), [{ index: 0, uuid: "GPU-x", utilizationPercent: 55, memoryUsedMb: 2048 }]);
      const missing = new NvidiaSmiReader(join(dir, "no-such-tool"));
      assert.equal(await missing.read(), undefined);
      assert.equal(await missing.read(), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
