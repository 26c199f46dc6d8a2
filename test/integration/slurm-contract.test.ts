/**
 * The executor conformance suite against the Slurm executor on the real single-node cluster
 * (scripts/start-slurm.sh), with the Docker runtime inside the batch scripts (Apptainer cannot be installed here).
 */
import { join } from "node:path";
import { tmpdir } from "node:os";
import { mkdtempSync } from "node:fs";
import { SlurmExecutor } from "../../src/executors/slurm/slurm-executor.js";
import { processRunner } from "../../src/executors/slurm/command-runner.js";
import { DockerExecutor } from "../../src/executors/docker/docker-executor.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { requireSlurmOrSkip } from "../helpers/slurm.js";
import { executorContractSuite } from "../contracts/executor-contract.js";

const IMAGE = "multiverse-contract-test:dev";
const skip = requireDockerOrSkip([IMAGE]) ?? requireSlurmOrSkip();
executorContractSuite(
  "slurm",
  async () => {
    const docker = new DockerExecutor();
    return new SlurmExecutor({
      runner: processRunner,
      runtime: "docker",
      runtimeDir: mkdtempSync(join(tmpdir(), "mv-slurm-contract-")),
      resolveDockerImage: (reference) => docker.resolveImage(reference),
    });
  },
  { image: IMAGE, skip },
);
