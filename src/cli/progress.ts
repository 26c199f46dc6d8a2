/**
 * Progress of a run: a live line on a TTY; on a pipe one quiet line per finished run;
 * nothing on stderr but errors with --json (the summary on stdout is the machine-readable record).
 */
import type { RunPhase } from "../domain/run-states.js";
import { isTerminal } from "../domain/run-states.js";
import type { RunRecord } from "../journal/run-records.js";
import type { Io } from "./output.js";

export class Progress {
  private readonly phases = new Map<string, RunPhase>();
  private total = 0;
  private lastLineLength = 0;

  constructor(private readonly io: Io, private readonly mode: "tty" | "lines" | "quiet") {}

  start(runIds: string[], initial: (runId: string) => RunPhase): void {
    this.total = runIds.length;
    for (const id of runIds) this.phases.set(id, initial(id));
    this.render();
  }

  /** A run that joined after start (a sweep's trial). */
  add(runId: string, phase: RunPhase): void {
    if (this.phases.has(runId)) return;
    this.total += 1;
    this.phases.set(runId, phase);
    this.render();
  }

  transition(run: RunRecord, _from: RunPhase, to: RunPhase): void {
    if (!this.phases.has(run.runId)) return;
    this.phases.set(run.runId, to);
    if (this.mode === "lines" && isTerminal(to)) {
      const reason = run.snapshot.context.reason ? ` (${run.snapshot.context.reason})` : "";
      this.io.err(`${to.padEnd(16)} ${run.name}${reason}`);
    }
    this.render();
  }

  error(run: RunRecord, error: unknown): void {
    if (this.mode === "quiet") return;
    this.clear();
    this.io.err(`warning: reconcile of ${run.name} failed and will be retried: ${(error as Error).message}`);
    this.render();
  }

  finish(): void {
    if (this.mode === "tty") {
      this.render();
      process.stderr.write("\n");
    }
  }

  private counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const phase of this.phases.values()) counts[phase] = (counts[phase] ?? 0) + 1;
    return counts;
  }

  private render(): void {
    if (this.mode !== "tty") return;
    const c = this.counts();
    const done = (c.ARTIFACT_SUCCESS ?? 0) + (c.FAILED ?? 0) + (c.CANCELLED ?? 0);
    const active = (c.ADMITTED ?? 0) + (c.RUNNING ?? 0) + (c.TRAINING_SUCCEEDED ?? 0) + (c.EVALUATING ?? 0) + (c.PROMOTING ?? 0);
    const width = 24;
    const filled = this.total === 0 ? width : Math.round((done / this.total) * width);
    const bar = `${"#".repeat(filled)}${".".repeat(width - filled)}`;
    const line = `[${bar}] ${done}/${this.total} done: ${c.ARTIFACT_SUCCESS ?? 0} succeeded, ${c.FAILED ?? 0} failed, ${c.CANCELLED ?? 0} cancelled; ${active} active, ${c.PENDING ?? 0} pending`;
    this.clear();
    process.stderr.write(line);
    this.lastLineLength = line.length;
  }

  private clear(): void {
    if (this.mode === "tty" && this.lastLineLength > 0) {
      process.stderr.write(`\r${" ".repeat(this.lastLineLength)}\r`);
      this.lastLineLength = 0;
    }
  }
}
