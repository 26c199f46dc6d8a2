/** The Python with Optuna for sweep tests (scripts/setup-optuna.sh), and a reader of studies through optuna.load_study. */
import { spawnSync } from "node:child_process";
import { optunaPython } from "../../src/sweeps/optuna-bridge.js";

export function optunaUnavailableReason(): string | undefined {
  const probe = spawnSync(optunaPython(), ["-c", "import optuna"], { encoding: "utf8" });
  if (probe.status !== 0) return `no Python with optuna at ${optunaPython()} (run scripts/setup-optuna.sh)`;
  return undefined;
}

/** In CI a missing Optuna is a failure, not a skip. */
export function requireOptunaOrSkip(): string | undefined {
  const reason = optunaUnavailableReason();
  if (reason && process.env.CI) throw new Error(`CI needs Optuna: ${reason}`);
  return reason;
}

export interface LoadedTrial {
  number: number;
  state: string;
  value: number | null;
  params: Record<string, unknown>;
  runId: string | null;
}

const LOAD_STUDY = `
import json, sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.load_study(study_name=sys.argv[2], storage=sys.argv[1])
print(json.dumps({"direction": study.direction.name, "trials": [
    {"number": t.number, "state": t.state.name, "value": t.value, "params": t.params, "runId": t.user_attrs.get("multiverse_run_id")}
    for t in study.trials]}))
`;

/** The study as optuna.load_study sees it (in a separate Python process). */
export function loadStudy(storage: string, study: string): { direction: string; trials: LoadedTrial[] } {
  const result = spawnSync(optunaPython(), ["-c", LOAD_STUDY, storage, study], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`optuna.load_study failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { direction: string; trials: LoadedTrial[] };
}
