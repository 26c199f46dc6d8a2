/**
 * What a FakeExecutor attempt does, scripted per attempt or per run. Times are on the fake's clock; an attempt
 * ends when an observation (or tick()) finds its time up, or at once through exitNow / cancel.
 */
import type { LaunchFailureKind } from "../executor.js";

/** Ends the attempt like a contract-honouring model: embeddings.h5 (a latent of n_obs rows), metrics.json, umap.png, run.log; exit 0. */
export interface SucceedScript {
  kind: "succeed";
  /** How long it runs (default 0: it has exited by the first observation). */
  runMs?: number;
  /** Cells of the input; read from the input mount's .h5mu when not given. */
  nObs?: number;
  /** Latent dimensions (default 8). */
  nLatent?: number;
  /** Rows written to the latent (default n_obs): another number makes the output invalid on purpose. */
  latentRows?: number;
  /** metrics.json's model_metrics (default latent_mean and n_latent). */
  metrics?: Record<string, number>;
}

/** Exits with a code after runMs; writes nothing but its log. */
export interface ExitScript {
  kind: "exit";
  code: number;
  runMs?: number;
  /** A line for the model's log and the attempt's engine-side error text. */
  message?: string;
}

/** Killed by the engine for exceeding its memory limit: exit 137, oomKilled. */
export interface OomScript {
  kind: "oom";
  runMs?: number;
}

/** Runs until cancelled (or exitNow). */
export interface HangScript {
  kind: "hang";
  /** Ignores SIGTERM: a cancel kills it after the grace period (exit 137) instead of it exiting 143. */
  ignoresSigterm?: boolean;
}

/** launch() throws a LaunchError of this kind; nothing is left in the engine. */
export interface FailLaunchScript {
  kind: "fail-launch";
  error: LaunchFailureKind;
  message?: string;
}

/** The attempt disappears from the engine after runMs (a node lost, a container removed behind our back). */
export interface VanishScript {
  kind: "vanish";
  runMs?: number;
}

export type AttemptScript = SucceedScript | ExitScript | OomScript | HangScript | FailLaunchScript | VanishScript;

/** How a running attempt may be made to end now. */
export type AttemptEnding = SucceedScript | ExitScript | OomScript | VanishScript;

/** Scripts consumed in order, one per launch; the last one repeats. */
export class ScriptQueue {
  private readonly queues = new Map<string, AttemptScript[]>();

  set(key: string, scripts: AttemptScript[]): void {
    if (scripts.length === 0) throw new RangeError(`no script given for ${key}`);
    this.queues.set(key, [...scripts]);
  }

  take(key: string): AttemptScript | undefined {
    const queue = this.queues.get(key);
    if (!queue) return undefined;
    return queue.length > 1 ? queue.shift() : queue[0];
  }
}

/** The scripted time an attempt runs before it ends by itself; undefined for one that runs until told. */
export function runTimeOf(script: AttemptScript): number | undefined {
  switch (script.kind) {
    case "hang":
    case "fail-launch":
      return undefined;
    default:
      return script.runMs ?? 0;
  }
}
