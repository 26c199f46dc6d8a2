/**
 * The FakeExecutor passes the same conformance suite as Docker, the local process and Slurm, in milliseconds:
 * the contract-test model's behaviours (job_spec.json hyperparameters) become the fake's scripts.
 */
import type { LaunchRequest } from "../../../src/executors/executor.js";
import { FakeExecutor, jobSpecOf } from "../../../src/executors/fake/fake-executor.js";
import type { AttemptScript } from "../../../src/executors/fake/scripts.js";
import { executorContractSuite } from "../../contracts/executor-contract.js";

/** What the contract-test image does for a behaviour, as a fake script. */
function contractModel(request: LaunchRequest): AttemptScript {
  const spec = jobSpecOf(request) as { hyperparameters?: { behavior?: string; sleep_seconds?: number } };
  const behavior = spec.hyperparameters?.behavior ?? "ok";
  switch (behavior) {
    case "ok":
      return { kind: "succeed" };
    case "sleep":
      return { kind: "succeed", runMs: (spec.hyperparameters?.sleep_seconds ?? 0) * 1000 };
    case "exit1":
      return { kind: "exit", code: 1, message: "failing on purpose" };
    default:
      throw new Error(`the fake contract model has no behaviour "${behavior}"`);
  }
}

executorContractSuite("fake", async () => new FakeExecutor({ scriptFor: contractModel }), {
  image: "multiverse-contract-test:dev",
  skips: {
    "read-only-input": "read-only input: no process, nothing can write to the input",
    "no-network": "network isolation: no process",
  },
});
