/** `multiverse doctor [--deep-slurm [--slurm-smoke-partition P]] [--json]`: exit 0 ok, 1 warnings, 2 blocked. */
import { processRunner } from "../../executors/slurm/command-runner.js";
import { runDoctor } from "../../services/doctor.js";
import { json, table, type Io } from "../output.js";
import { locateStateRootOf, type StateRootOptions } from "../state-root-option.js";

export async function doctorCommand(options: StateRootOptions & { deepSlurm?: boolean; slurmSmokePartition?: string; json?: boolean }, io: Io): Promise<number> {
  const located = locateStateRootOf(options);
  const report = await runDoctor({ stateRoot: located.path, located, runner: processRunner, deepSlurm: options.deepSlurm, smokePartition: options.slurmSmokePartition });
  if (options.json) io.out(json(report));
  else {
    io.out(table(["CHECK", "STATUS", "DETAIL"], report.checks.map((c) => [c.name, c.status, c.detail])));
    io.out(["", "ok", "warnings: some backends are unavailable", "blocked: nothing can run as configured"][report.exitCode + 1] ?? "");
  }
  return report.exitCode;
}
