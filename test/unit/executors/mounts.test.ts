/** Generic mounts and how the engines map them: bubblewrap binds, Apptainer and Docker-runtime binds, launch fields from a run's spec. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { contractMounts, findMount, requireMount, targetParent } from "../../../src/executors/mounts.js";
import { launchFields } from "../../../src/executors/launch-fields.js";
import { bubblewrapCommand, plainCommand } from "../../../src/executors/local/sandbox.js";
import { containerArgv } from "../../../src/executors/slurm/container-command.js";
import { runSpec } from "../../helpers/fixtures.js";

const mounts = contractMounts("/data/d.h5mu", "/ws/a1");

describe("contract mounts", () => {
  test("the input read-only at /input/data.h5mu, the workspace read-write at /output", () => {
    assert.deepEqual(mounts, [
      { role: "input", source: "/data/d.h5mu", target: "/input/data.h5mu", readOnly: true },
      { role: "workspace", source: "/ws/a1", target: "/output", readOnly: false },
    ]);
    assert.equal(findMount(mounts, "workspace")?.source, "/ws/a1");
    assert.equal(findMount([], "input"), undefined);
    assert.throws(() => requireMount(mounts.slice(1), "input"), /no input mount \(mounts: workspace\)/);
    assert.deepEqual(["/input/data.h5mu", "/output", "/a/b/c"].map(targetParent), ["/input", "/", "/a/b"]);
  });

  test("a run's spec gives the mounts, the model and the per-backend settings", () => {
    const spec = { ...runSpec(), entrypoint: ["python3", "run.py"], modelDirectory: "/models/pca", slurm: { partition: "gpu" } };
    assert.deepEqual(launchFields(spec, "/ws/a1"), {
      mounts: contractMounts(spec.datasetPath, "/ws/a1"),
      model: { slug: spec.model, version: spec.modelVersion, directory: "/models/pca" },
      settings: { slurm: { partition: "gpu" }, local: { entrypoint: ["python3", "run.py"] } },
    });
    const bare = launchFields(runSpec(), "/ws/a2");
    assert.deepEqual([bare.settings, bare.model?.directory], [{}, undefined]);
  });
});

describe("engines map the mounts", () => {
  const interpreter = { executable: "/usr/bin/python3", prefixes: [] };
  const input = { interpreter, script: ["run.py"], modelDirectory: "/models/pca", workerSdkDirectory: "/repo/worker", mounts, network: false, env: {} };

  test("bubblewrap: the parent directory, a read-only bind for the input, a bind for the workspace, its target as cwd", () => {
    const command = bubblewrapCommand(input, "bwrap");
    const argv = command.argv.join(" ");
    assert.ok(argv.includes("--dir /input --ro-bind /data/d.h5mu /input/data.h5mu --bind /ws/a1 /output --chdir /output"), argv);
    assert.deepEqual([command.env.MULTIVERSE_INPUT_DIR, command.env.MULTIVERSE_OUTPUT_DIR, command.cwd], ["/input", "/output", "/ws/a1"]);
  });

  test("without bubblewrap the model is told the host paths", () => {
    const command = plainCommand(input);
    assert.deepEqual([command.env.MULTIVERSE_INPUT_FILE, command.env.MULTIVERSE_OUTPUT_DIR, command.cwd], ["/data/d.h5mu", "/ws/a1", "/ws/a1"]);
  });

  test("Apptainer and the Docker runtime bind every mount, :ro for a read-only one, and work in the workspace's target", () => {
    const base = { image: "i", env: {}, gpu: false, network: true, containerName: "c" };
    const extra = [...mounts, { role: "input" as const, source: "/ref", target: "/input/ref", readOnly: true }];
    const apptainer = containerArgv({ ...base, runtime: "apptainer", mounts: extra }).join(" ");
    assert.ok(apptainer.includes("--bind /data/d.h5mu:/input/data.h5mu:ro --bind /ws/a1:/output --bind /ref:/input/ref:ro --pwd /output"), apptainer);
    const docker = containerArgv({ ...base, runtime: "docker", mounts: extra }).join(" ");
    assert.ok(docker.includes("-v /data/d.h5mu:/input/data.h5mu:ro -v /ws/a1:/output -v /ref:/input/ref:ro -w /output"), docker);
  });
});
