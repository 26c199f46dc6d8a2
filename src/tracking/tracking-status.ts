/** The MLflow projection state of one run's attempts, from the state root's journal (for describe and the API). */
import { existsSync } from "node:fs";
import { journalDir, readJournal } from "../journal/journal.js";
import { foldProjectionStates, type AttemptProjectionState } from "./projection-state.js";

export function trackingStates(stateRoot: string, runId: string): AttemptProjectionState[] {
  if (!existsSync(journalDir(stateRoot))) return [];
  return [...foldProjectionStates(readJournal(stateRoot).records, runId).values()];
}
