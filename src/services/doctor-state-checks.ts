/**
 * doctor's checks of a state root's own bookkeeping against the world: the broker's reservation ledger against the
 * attempts that hold capacity, and the MLflow projection states the journal records against the tracking server.
 * The verdicts are pure (over journal records and what the server answered); the server is asked through a
 * narrow interface.
 */
import type { JournalRecord } from "../journal/records.js";
import { replayRecords } from "../journal/run-records.js";
import { foldProjectionStates } from "../tracking/projection-state.js";
import { TAGS } from "../tracking/projection.js";
import { holdsReservation } from "../../reconcilers/run-reconciler.js";
import type { Check } from "./doctor-check.js";

/** The ledger's open grants: per run, its last ledger record is a RESERVATION_GRANTED. */
export function heldByLedger(records: readonly JournalRecord[]): Map<string, { attemptId?: string; cpus: number; memBytes: number; gpus: number }> {
  const held = new Map<string, { attemptId?: string; cpus: number; memBytes: number; gpus: number }>();
  for (const record of records) {
    if (record.type === "RESERVATION_GRANTED") held.set(record.runId, { ...(record.attemptId ? { attemptId: record.attemptId } : {}), cpus: record.cpus, memBytes: record.memBytes, gpus: record.gpus });
    else if (record.type === "RESERVATION_RELEASED") held.delete(record.runId);
  }
  return held;
}

/** Pure: the ledger against the runs whose phase holds capacity (ADMITTED, RUNNING, CANCEL_REQUESTED). */
export function ledgerVerdict(records: readonly JournalRecord[], controllerLive: boolean): Check {
  const held = heldByLedger(records);
  const runs = replayRecords(records);
  const problems: string[] = [];
  let holding = 0;
  for (const run of runs.values()) {
    const holds = holdsReservation(run.snapshot);
    if (holds) holding += 1;
    const grant = held.get(run.runId);
    if (holds && !grant) problems.push(`run ${run.name} is ${run.snapshot.value} without a grant in the ledger`);
    if (!holds && grant) problems.push(`the ledger holds a reservation for run ${run.name}, which is ${run.snapshot.value}`);
    if (holds && grant && grant.attemptId !== run.snapshot.context.attemptId) {
      problems.push(`the ledger's grant of run ${run.name} is for attempt ${grant.attemptId ?? "?"}, its live attempt is ${run.snapshot.context.attemptId ?? "?"}`);
    }
  }
  for (const runId of held.keys()) if (!runs.has(runId)) problems.push(`the ledger holds a reservation for run ${runId}, which the journal never planned`);
  if (problems.length > 0) {
    return { name: "reservation ledger", status: "warning", detail: `${problems.length} disagreement${problems.length === 1 ? "" : "s"} with the runs: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? "; ..." : ""}` };
  }
  const totals = [...held.values()].reduce((t, g) => ({ cpus: t.cpus + g.cpus, memBytes: t.memBytes + g.memBytes, gpus: t.gpus + g.gpus }), { cpus: 0, memBytes: 0, gpus: 0 });
  const what = `${held.size} reservation${held.size === 1 ? "" : "s"} held (${totals.cpus} CPUs, ${(totals.memBytes / 1024 ** 3).toFixed(1)} GiB, ${totals.gpus} GPUs), matching the ${holding} live attempt${holding === 1 ? "" : "s"}`;
  return { name: "reservation ledger", status: "ok", detail: holding > 0 && !controllerLive ? `${what}; no controller is running: they are adopted at the next start` : what };
}

/** What doctor asks a tracking server: whether it answers, and an MLflow run's tags (undefined when it has no such run). */
export interface TrackingServerProbe {
  healthy(): Promise<boolean>;
  runTags(mlflowRunId: string): Promise<Record<string, string> | undefined>;
}

/** The newest synced projections doctor asks the server about (each is one request). */
const MAX_SYNCED_CHECKED = 50;

/** The journal's MLflow projection states against each server they name (or none: skipped). */
export async function mlflowVerdict(records: readonly JournalRecord[], probe: (trackingUri: string) => TrackingServerProbe): Promise<Check> {
  const states = [...foldProjectionStates(records).values()];
  if (states.length === 0) return { name: "mlflow projections", status: "skipped", detail: "no run of this state root is projected to MLflow" };
  const problems: string[] = [];
  const pending = states.filter((s) => s.state === "pending").length;
  const failed = states.filter((s) => s.state === "failed").length;
  if (pending > 0) problems.push(`${pending} pending (run multiverse mlflow-sync)`);
  if (failed > 0) problems.push(`${failed} failed (refused by the server; see multiverse describe run)`);
  let checked = 0;
  for (const uri of [...new Set(states.map((s) => s.trackingUri))].sort()) {
    const server = probe(uri);
    if (!(await server.healthy())) {
      problems.push(`${uri} does not answer`);
      continue;
    }
    const synced = states.filter((s) => s.trackingUri === uri && s.state === "synced" && s.mlflowRunId).sort((a, b) => b.ts.localeCompare(a.ts)).slice(0, MAX_SYNCED_CHECKED);
    for (const state of synced) {
      checked += 1;
      const tags = await server.runTags(state.mlflowRunId!);
      if (!tags) problems.push(`attempt ${state.attemptId} is synced in the journal, but ${uri} has no run ${state.mlflowRunId}`);
      else if (tags[TAGS.projection] !== "synced") problems.push(`attempt ${state.attemptId}: ${uri} run ${state.mlflowRunId} is marked ${tags[TAGS.projection] ?? "unmarked"}, the journal says synced`);
    }
  }
  const summary = `${states.length} projected attempt${states.length === 1 ? "" : "s"}, ${checked} synced checked against the server`;
  return problems.length > 0 ? { name: "mlflow projections", status: "warning", detail: `${summary}: ${problems.join("; ")}` } : { name: "mlflow projections", status: "ok", detail: summary };
}
