/**
 * Waiting on observed state instead of time: poll what the test can see (the engine, the journal, the queue, an
 * HTTP answer) until it shows what is expected, with a generous deadline and a failure that says what was expected
 * and what was last seen. A test never sleeps for a fixed time and then assumes something happened.
 */
import type { ChildProcess } from "node:child_process";

/** Deadlines are generous: a loaded machine (load 6 on 2 cores) is slow, not wrong. */
export const DEFAULT_WAIT_MS = 120_000;
const DEFAULT_INTERVAL_MS = 100;

export interface WaitOptions<S> {
  timeoutMs?: number;
  intervalMs?: number;
  /** How the failure message shows the last observation (JSON by default). */
  show?: (seen: S) => string;
  /** Checked on every round: a reason to give up at once (e.g. the process that should get there has exited). */
  giveUpIf?: () => string | false | undefined;
}

export class WaitTimeout extends Error {}

function display(value: unknown): string {
  if (value === undefined) return "undefined";
  try {
    const text = JSON.stringify(value);
    return text.length > 2000 ? `${text.slice(0, 2000)}...` : text;
  } catch {
    return String(value);
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Observes until `done(seen)` holds and returns that observation. An observation that throws counts as not yet
 * (the error is what was last seen). On the deadline: "timed out after N ms waiting for <what>; last seen: ...".
 */
export async function waitUntil<S>(what: string, observe: () => S | Promise<S>, done: (seen: S) => boolean, options: WaitOptions<S> = {}): Promise<S> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const deadline = Date.now() + timeoutMs;
  let last = "nothing (never observed)";
  for (;;) {
    try {
      const seen = await observe();
      if (done(seen)) return seen;
      last = options.show ? options.show(seen) : display(seen);
    } catch (error) {
      last = `an error: ${(error as Error).message}`;
    }
    const reason = options.giveUpIf?.();
    if (reason) throw new WaitTimeout(`gave up waiting for ${what}: ${reason}; last seen: ${last}`);
    if (Date.now() > deadline) throw new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${last}`);
    await pause(options.intervalMs ?? DEFAULT_INTERVAL_MS);
  }
}

/** Polls `probe` until it returns something other than undefined or false, and returns that. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = DEFAULT_WAIT_MS, intervalMs = 250): Promise<T> {
  const seen = await waitUntil(what, probe, (value) => value !== undefined && value !== false, { timeoutMs, intervalMs, show: (value) => `${display(value)} from the probe` });
  return seen as T;
}

/** Whether the child has exited (by code or signal). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** For `giveUpIf`: the reason to stop waiting on a child that is gone. */
export function exitedReason(child: ChildProcess, name = "the process"): string | undefined {
  return hasExited(child) ? `${name} exited (${child.exitCode ?? child.signalCode})` : undefined;
}

/** A chaos pause: `ms` of a random extra delay before a kill, cut short when the child exits by itself. */
export async function pauseUnlessExited(child: ChildProcess, ms: number): Promise<"exited" | "elapsed"> {
  if (hasExited(child)) return "exited";
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<"elapsed">((resolve) => (timer = setTimeout(() => resolve("elapsed"), ms)));
  const exited = new Promise<"exited">((resolve) => child.once("exit", () => resolve("exited")));
  const winner = await Promise.race([elapsed, exited]);
  clearTimeout(timer);
  return winner;
}

/**
 * The per-test timeout: a guard against a hang, never an expectation of speed. The same as scripts/run-tests.mjs
 * gives every test file (MULTIVERSE_TEST_TIMEOUT_MS, 10 minutes by default), so a slow machine raises both at once.
 */
export const TEST_HANG_GUARD_MS = Number(process.env.MULTIVERSE_TEST_TIMEOUT_MS ?? 10 * 60 * 1000);

/** Whether the process group `pid` leads (a server started with setsid) still has a live member. */
export function processGroupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
