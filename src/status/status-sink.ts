/**
 * Where controllers report status: Benchmark conditions with observedGeneration and phase counts, and each run's
 * phase. The journal (and the index projected from it) always holds the truth; sinks are projections of it — the
 * index today, the custom resource's `/status` subresource when the source is Kubernetes.
 */
import type { Condition } from "../domain/resources.js";
import type { ResourceOrigin } from "../domain/origin.js";
import type { FailureReason, RunPhase } from "../domain/run-states.js";

export interface BenchmarkStatusUpdate {
  name: string;
  generation: number;
  observedGeneration: number;
  conditions: Condition[];
  runIds: string[];
  /** Runs of the observed generation by phase. */
  phaseCounts: Record<string, number>;
  origin?: ResourceOrigin;
}

export interface RunStatusUpdate {
  runId: string;
  name: string;
  benchmark: string;
  from: RunPhase;
  phase: RunPhase;
  attempt: number;
  attemptId?: string;
  reason?: FailureReason;
  message?: string;
  artifactDir?: string;
}

export interface StatusSink {
  benchmarkStatus(update: BenchmarkStatusUpdate): void | Promise<void>;
  runStatus(update: RunStatusUpdate): void | Promise<void>;
}

/** Every sink told in turn; one sink's failure is its own (status is a projection). */
export class StatusSinks implements StatusSink {
  private readonly sinks: StatusSink[] = [];

  constructor(private readonly onError?: (error: unknown) => void) {}

  add(sink: StatusSink): this {
    this.sinks.push(sink);
    return this;
  }

  async benchmarkStatus(update: BenchmarkStatusUpdate): Promise<void> {
    for (const sink of this.sinks) {
      try {
        await sink.benchmarkStatus(update);
      } catch (error) {
        this.onError?.(error);
      }
    }
  }

  async runStatus(update: RunStatusUpdate): Promise<void> {
    for (const sink of this.sinks) {
      try {
        await sink.runStatus(update);
      } catch (error) {
        this.onError?.(error);
      }
    }
  }
}
