/** The one rule deciding a job's backend, and the broker's capacity for a set of backends. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { combineCapacities, jobBackends, resolveBackend } from "../../../src/executors/backend-resolution.js";
import { ExecutorRegistry } from "../../../src/executors/registry.js";
import { FakeExecutor } from "../../../src/executors/fake/fake-executor.js";
import { hostCapacity } from "../../../src/executors/host-capacity.js";
import { slurmCapacity } from "../../../src/executors/slurm/capacity.js";
import type { Backend } from "../../../src/domain/resources.js";
import type { Capacity } from "../../../src/domain/capacity.js";

describe("resolveBackend: CLI override > job > benchmark > default", () => {
  test("each level wins over the ones below it", () => {
    assert.equal(resolveBackend({}), "docker");
    assert.equal(resolveBackend({ defaultBackend: "slurm" }), "slurm");
    assert.equal(resolveBackend({ benchmark: "local", defaultBackend: "slurm" }), "local");
    assert.equal(resolveBackend({ job: "slurm", benchmark: "local", defaultBackend: "docker" }), "slurm");
    assert.equal(resolveBackend({ override: "local", job: "slurm", benchmark: "docker", defaultBackend: "slurm" }), "local");
  });

  test("a benchmark's job backends, job by job", () => {
    const spec = { backend: "local" as Backend, jobs: [{}, { backend: "slurm" as Backend }, {}] };
    assert.deepEqual([...jobBackends(spec)], ["local", "slurm"]);
    assert.deepEqual([...jobBackends(spec, { override: "docker" })], ["docker"]);
    assert.deepEqual([...jobBackends({ jobs: [{}] }, { defaultBackend: "slurm" })], ["slurm"]);
  });
});

describe("capacity for a set of backends", () => {
  const host: Capacity = { cpus: 8, memBytes: 16, gpus: 1, maxConcurrent: 8 };

  test("the element-wise minimum: cluster alone is the cluster's, mixed with the host the host's", () => {
    assert.deepEqual(combineCapacities([slurmCapacity(7)]), slurmCapacity(7));
    assert.deepEqual(combineCapacities([host, slurmCapacity(500)]), host);
    assert.deepEqual(combineCapacities([host, slurmCapacity(3)]), { ...host, maxConcurrent: 3 });
    assert.throws(() => combineCapacities([]), /at least one backend/);
  });

  test("the registry asks each backend's executor, created once and lazily", () => {
    const created: Backend[] = [];
    const registry = new ExecutorRegistry({
      stateRoot: "/nonexistent",
      create: (backend) => {
        created.push(backend);
        return new FakeExecutor({ backend, capacity: backend === "slurm" ? slurmCapacity() : host });
      },
    });
    assert.deepEqual(registry.capacityFor(["slurm"], { maxConcurrent: 20 }), slurmCapacity(20));
    assert.deepEqual(registry.capacityFor(["slurm", "docker", "slurm"]), host);
    assert.equal(registry.get("docker"), registry.get("docker"));
    assert.deepEqual(created, ["slurm", "docker"]);
    assert.deepEqual(Object.keys(registry.executors).sort(), ["docker", "slurm"]);
    assert.deepEqual(registry.created().map((e) => e.backend).sort(), ["docker", "slurm"]);
    assert.throws(() => registry.capacityFor([]), /at least one backend/);
  });

  test("the real engines: Docker and local offer the host (host_ram_gb caps memory), Slurm only caps jobs in flight", () => {
    const registry = new ExecutorRegistry({ stateRoot: "/tmp/mv-registry-test" });
    assert.deepEqual(registry.get("docker").capacity({ hostRamGb: 2, maxConcurrent: 3 }), hostCapacity({ hostRamGb: 2, maxConcurrent: 3 }));
    assert.equal(registry.get("docker").capacity({ hostRamGb: 2 }).memBytes, 2 * 1024 ** 3);
    assert.deepEqual(registry.get("slurm").capacity({ maxConcurrent: 4, hostRamGb: 2 }), slurmCapacity(4));
    assert.deepEqual(registry.capacityFor(["docker", "slurm"], { maxConcurrent: 2 }), hostCapacity({ maxConcurrent: 2 }));
  });
});
