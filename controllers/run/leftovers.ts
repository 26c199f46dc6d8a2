/**
 * Releases what the engines still hold of attempts whose outcome is journaled (a crash between the transition that
 * records an exit and the release leaves it behind). The decision is pure (reconcilers/leftovers.ts).
 */
import type { AttemptObservation, Executor } from "../../src/executors/executor.js";
import { leftoverAttempts, type AttemptOwner } from "../../reconcilers/leftovers.js";
import type { RunStore } from "./run-store.js";

/** Returns the released attempt ids. */
export async function releaseLeftovers(store: RunStore, executors: readonly Executor[], ownerId: string): Promise<string[]> {
  const owners = new Map<string, AttemptOwner>();
  for (const run of store.values()) {
    for (const attemptId of run.launched) owners.set(attemptId, { phase: run.snapshot.value, attemptId: run.snapshot.context.attemptId ?? null });
  }
  const released: string[] = [];
  for (const executor of executors) {
    let owned: AttemptObservation[];
    try {
      owned = await executor.listOwned(ownerId);
    } catch {
      continue; // an engine that cannot answer now: its leftovers are found next time
    }
    for (const attemptId of leftoverAttempts(owned, (id) => owners.get(id))) {
      try {
        await executor.release(attemptId);
        released.push(attemptId);
      } catch {
        // left for the next start
      }
    }
  }
  return released;
}
