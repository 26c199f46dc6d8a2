/**
 * Reading the queue: `squeue --json` (Slurm 21.08+) or, where the JSON plugins are missing, a delimited format.
 * Both become one map from job name to what the executor needs. Pure parsing, no I/O.
 */
export interface QueuedJob {
  jobId: string;
  name: string;
  comment: string;
  /** Slurm's job state: PENDING, RUNNING, COMPLETING, TIMEOUT, OUT_OF_MEMORY, ... */
  state: string;
  reason: string;
  /** Unix seconds; 0 when not started. */
  startTime: number;
  endTime: number;
  exitCode?: number;
}

/** The squeue arguments of the plain format, and its field order. */
export const PLAIN_FORMAT = ["-h", "-o", "%i|%j|%T|%r|%S|%e|%k"];

export class SqueueParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SqueueParseError";
  }
}

function text(value: unknown): string {
  return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
}

function seconds(value: unknown): number {
  if (typeof value === "number") return value;
  // data_parser v0.0.39+: {"set": true, "infinite": false, "number": 1700000000}
  if (value && typeof value === "object" && "number" in value) return Number((value as { number: unknown }).number) || 0;
  return 0;
}

function state(value: unknown): string {
  if (Array.isArray(value)) return text(value[0]); // newer data parsers: ["RUNNING"]
  return text(value);
}

export function parseSqueueJson(output: string): QueuedJob[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch (error) {
    throw new SqueueParseError(`squeue --json printed no JSON: ${(error as Error).message}`);
  }
  const jobs = (parsed as { jobs?: unknown }).jobs;
  if (!Array.isArray(jobs)) throw new SqueueParseError("squeue --json printed no jobs array");
  return jobs.map((raw) => {
    const job = raw as Record<string, unknown>;
    const exit = job.exit_code;
    const exitCode = typeof exit === "number" ? exit : exit && typeof exit === "object" && "return_code" in exit ? seconds((exit as { return_code: unknown }).return_code) : undefined;
    return {
      jobId: text(job.job_id),
      name: text(job.name),
      comment: text(job.comment),
      state: state(job.job_state),
      reason: text(job.state_reason),
      startTime: seconds(job.start_time),
      endTime: seconds(job.end_time),
      ...(exitCode === undefined ? {} : { exitCode }),
    };
  });
}

function plainTime(value: string): number {
  if (!value || value === "N/A" || value === "Unknown") return 0;
  const ms = Date.parse(`${value}Z`);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

export function parseSqueuePlain(output: string): QueuedJob[] {
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [jobId = "", name = "", jobState = "", reason = "", start = "", end = "", ...comment] = line.split("|");
      return { jobId, name, state: jobState, reason, startTime: plainTime(start), endTime: plainTime(end), comment: comment.join("|") };
    });
}
