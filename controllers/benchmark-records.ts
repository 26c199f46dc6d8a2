/** The Benchmark controller's memory of each Benchmark, rebuilt from the journal's BENCHMARK_* records. */
import type { JournalRecord } from "../src/journal/records.js";
import type { KnownBenchmark } from "../reconcilers/benchmark-reconciler.js";

export function applyBenchmarkRecord(known: Map<string, KnownBenchmark>, record: JournalRecord): void {
  switch (record.type) {
    case "BENCHMARK_APPLIED": {
      const before = known.get(record.name);
      known.set(record.name, {
        generation: record.generation,
        specHash: record.specHash,
        deleted: false,
        observedGeneration: before?.observedGeneration ?? null,
        conditions: before?.conditions ?? [],
        runIds: before?.runIds ?? [],
      });
      return;
    }
    case "BENCHMARK_DELETED": {
      const before = known.get(record.name);
      if (before) known.set(record.name, { ...before, generation: record.generation, deleted: true });
      return;
    }
    case "BENCHMARK_STATUS": {
      const before = known.get(record.name);
      if (before) known.set(record.name, { ...before, observedGeneration: record.observedGeneration, conditions: record.conditions, runIds: record.runIds });
      return;
    }
    default:
      return;
  }
}
