/**
 * Optuna behind a narrow interface: open a study, ask for a trial, tell its outcome, list its trials. The adapter
 * runs scripts/optuna_bridge.py in a Python that has Optuna (the venv of scripts/setup-optuna.sh) and speaks JSON
 * lines with it, one study per process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Errors } from "../domain/errors.js";
import { repoRoot } from "../util/paths.js";
import type { StudyTrial } from "./sweep-ledger.js";
import type { SearchSpace } from "./search-space.js";
import type { TrialOutcome } from "./trial-outcome.js";

export interface StudyConfig {
  storage: string;
  /** The storage as shown in messages (password masked). */
  storageDisplay: string;
  studyName: string;
  direction: "minimize" | "maximize";
  sampler: "tpe" | "random";
  seed: number;
  searchSpace: SearchSpace;
  userAttrs?: Record<string, unknown>;
}

export interface OptunaTrial extends StudyTrial {
  userAttrs: Record<string, unknown>;
}

export interface OptunaBridge {
  /** Creates the study or loads the existing one; returns its trials. */
  open(config: StudyConfig): Promise<OptunaTrial[]>;
  ask(): Promise<{ number: number; params: Record<string, unknown> }>;
  /** User attributes of a trial asked through this bridge (run id, bundle). */
  setTrialAttrs(number: number, attrs: Record<string, unknown>): Promise<void>;
  /** Finishes a trial; a trial already finished keeps its state (returned). */
  tell(number: number, outcome: TrialOutcome): Promise<OptunaTrial>;
  trials(): Promise<OptunaTrial[]>;
  close(): Promise<void>;
}

/** A refusal of the bridge or of Optuna, with its kind (direction_mismatch, bad_request, or Optuna's exception). */
export class OptunaBridgeError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
    this.name = "OptunaBridgeError";
  }
}

export const DEFAULT_OPTUNA_VENV = "/opt/multiverse/optuna-venv";

/** The Python that runs the bridge: $MULTIVERSE_OPTUNA_PYTHON, else the venv's ($MULTIVERSE_OPTUNA_VENV or the default). */
export function optunaPython(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MULTIVERSE_OPTUNA_PYTHON) return env.MULTIVERSE_OPTUNA_PYTHON;
  return join(env.MULTIVERSE_OPTUNA_VENV ?? DEFAULT_OPTUNA_VENV, "bin", "python");
}

export function bridgeScript(): string {
  return join(repoRoot(), "scripts", "optuna_bridge.py");
}

/** Fails fast, before any container starts, when the Python with Optuna is not there. */
export function requireOptunaPython(python = optunaPython()): string {
  try {
    accessSync(python, constants.X_OK);
  } catch {
    throw Errors.engineUnavailable(`sweeps need Optuna, but ${python} is not an executable Python`, {
      details: ["install it with: bash scripts/setup-optuna.sh", "or point MULTIVERSE_OPTUNA_PYTHON at a Python that has optuna installed"],
    });
  }
  return python;
}

interface RawTrial {
  number: number;
  state: StudyTrial["state"];
  params: Record<string, unknown>;
  value: number | null;
  user_attrs: Record<string, unknown>;
}

function trialOf(raw: RawTrial): OptunaTrial {
  return { number: raw.number, state: raw.state, params: raw.params, value: raw.value, userAttrs: raw.user_attrs };
}

type Answer = { id: number; ok: true; result: unknown } | { id: number; ok: false; kind: string; error: string };

/** The Python process adapter. Requests are answered in order; one study per bridge. */
export class OptunaProcessBridge implements OptunaBridge {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private stderr = "";
  private exited: Error | undefined;

  constructor(python = optunaPython(), script = bridgeScript()) {
    requireOptunaPython(python);
    this.child = spawn(python, [script], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => this.answer(line));
    const fail = (why: string) => {
      this.exited = new OptunaBridgeError("bridge_exited", `the Optuna bridge ${why}${this.stderr.trim() ? `: ${this.stderr.trim().split("\n").slice(-3).join(" | ")}` : ""}`);
      for (const { reject } of this.pending.values()) reject(this.exited);
      this.pending.clear();
    };
    this.child.on("error", (error) => fail(`could not start (${error.message})`));
    this.child.on("exit", (code, signal) => fail(`exited (${signal ?? `code ${code}`})`));
  }

  private answer(line: string): void {
    let parsed: Answer;
    try {
      parsed = JSON.parse(line) as Answer;
    } catch {
      return; // not a protocol line
    }
    const waiter = this.pending.get(parsed.id);
    if (!waiter) return;
    this.pending.delete(parsed.id);
    if (parsed.ok) waiter.resolve(parsed.result);
    else waiter.reject(new OptunaBridgeError(parsed.kind, parsed.error));
  }

  private request<T>(op: string, body: Record<string, unknown> = {}): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (value) => resolve(value as T), reject });
      this.child.stdin.write(`${JSON.stringify({ id, op, ...body })}\n`);
    });
  }

  async open(config: StudyConfig): Promise<OptunaTrial[]> {
    const result = await this.request<{ trials: RawTrial[] }>("open", {
      storage: config.storage,
      storage_display: config.storageDisplay,
      study_name: config.studyName,
      direction: config.direction,
      sampler: config.sampler,
      seed: config.seed,
      search_space: config.searchSpace,
      user_attrs: config.userAttrs ?? {},
    });
    return result.trials.map(trialOf);
  }

  ask(): Promise<{ number: number; params: Record<string, unknown> }> {
    return this.request("ask");
  }

  async setTrialAttrs(number: number, attrs: Record<string, unknown>): Promise<void> {
    await this.request("attrs", { number, attrs });
  }

  async tell(number: number, outcome: TrialOutcome): Promise<OptunaTrial> {
    const raw = await this.request<RawTrial>("tell", { number, state: outcome.state, ...(outcome.state === "COMPLETE" ? { value: outcome.value } : {}) });
    return trialOf(raw);
  }

  async trials(): Promise<OptunaTrial[]> {
    return (await this.request<RawTrial[]>("trials")).map(trialOf);
  }

  /** Ends the bridge: stdin closed, then SIGKILL if it has not exited within `graceMs` (a call stuck on a lock). */
  async close(graceMs = 5_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
