/**
 * The status sink that is always there: Benchmark status is journaled (BENCHMARK_STATUS through the journal
 * writer, so the index, the API's SSE and `describe benchmark` see it). A run's phase needs no write of its own:
 * the run controller journals every transition before anything acts on it.
 */
import type { JournalWriter } from "../journal/journal-writer.js";
import type { BenchmarkStatusUpdate, StatusSink } from "./status-sink.js";

export class JournalStatusSink implements StatusSink {
  constructor(private readonly writer: JournalWriter) {}

  benchmarkStatus(update: BenchmarkStatusUpdate): void {
    this.writer.append([{ type: "BENCHMARK_STATUS", name: update.name, observedGeneration: update.observedGeneration, conditions: update.conditions, runIds: update.runIds }]);
  }

  runStatus(): void {
    // journaled by the run controller as RUN_TRANSITION, before the sinks hear of it
  }
}
