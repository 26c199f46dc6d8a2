/**
 * The Kubernetes projection of the journal, behind the StatusSink interface: each Benchmark's /status (conditions
 * with observedGeneration, phase counts), one Run resource per planned run (owned by its Benchmark, labelled, its
 * /status mirroring the journal), each Dataset's and Model's SourceValid, and Events for transitions. It folds the
 * journal itself (load at start, then every appended record), so a restarted controller writes the same statuses
 * again from the journal alone; writes go through a coalescing writer (one in flight per object, only when the
 * projected object changed).
 */
import type { Condition } from "../../domain/resources.js";
import { isTerminal } from "../../domain/run-states.js";
import type { JournalRecord } from "../../journal/records.js";
import type { ObjectVerdict } from "../../sources/kubernetes/compose-state.js";
import type { KubeApi } from "../../sources/kubernetes/kube-api.js";
import { API_VERSION, PLURALS, type KubeObject } from "../../sources/kubernetes/kube-objects.js";
import type { SourceObserver } from "../../sources/kubernetes/kubernetes-source.js";
import type { BenchmarkStatusUpdate, RunStatusUpdate, StatusSink } from "../status-sink.js";
import { benchmarkStatusObject, runCounts, sourceStatusObject, sourceValidCondition, type JournaledBenchmark } from "./benchmark-status.js";
import { CoalescingWriter } from "./coalescing-writer.js";
import { EventRecorder } from "./event-recorder.js";
import { applyRunRecord, runObject, runResourceName, runStatusObject, type BenchmarkOwner, type RunView } from "./run-projection.js";

export interface KubernetesStatusSinkOptions {
  api: KubeApi;
  log?: (line: string) => void;
  clock?: () => Date;
  /** Objects written at once (default 4). */
  concurrency?: number;
}

type OwnerState = "alive" | "deleting";

export class KubernetesStatusSink implements StatusSink {
  private readonly runs = new Map<string, RunView>();
  private readonly benchmarks = new Map<string, JournaledBenchmark>();
  /** Benchmark objects as the source last saw them, by uid. */
  private objects = new Map<string, KubeObject>();
  private readonly ownerStates = new Map<string, OwnerState>();
  private verdicts = new Map<string, ObjectVerdict>();
  private readonly validSince = new Map<string, { status: string; since: string }>();
  private readonly runUids = new Map<string, string>();
  private readonly writer: CoalescingWriter;
  private readonly events: EventRecorder;
  private readonly clock: () => Date;
  private started = false;

  constructor(private readonly options: KubernetesStatusSinkOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.writer = new CoalescingWriter({ concurrency: options.concurrency ?? 4, ...(options.log ? { log: options.log } : {}) });
    this.events = new EventRecorder(options.api, options.log, this.clock);
  }

  /** The journal as it was at start: the statuses to write again. */
  load(records: readonly JournalRecord[]): void {
    for (const record of records) this.fold(record);
  }

  /** Every appended record (subscribed to the journal writer). */
  observe(records: readonly JournalRecord[]): void {
    const benchmarks = new Set<string>();
    for (const record of records) {
      const view = this.fold(record);
      if (view) {
        this.refreshRun(view);
        benchmarks.add(view.benchmark);
      }
      if (record.type === "BENCHMARK_APPLIED" || record.type === "BENCHMARK_DELETED" || record.type === "BENCHMARK_STATUS") benchmarks.add(record.name);
      if (record.type === "BENCHMARK_APPLIED" && record.origin?.kind === "kubernetes") {
        this.benchmarkEvent(record.name, "Normal", "Applied", `generation ${record.origin.generation} applied: ${record.jobs} jobs`);
      }
      if (record.type === "BENCHMARK_DELETED") this.benchmarkEvent(record.name, "Normal", "Deleting", "deleted: unfinished runs are being cancelled, bundles stay");
    }
    for (const name of benchmarks) this.refreshBenchmark(name);
  }

  /** The source's view of the objects (subscribe with KubernetesSource.observe). */
  readonly sourceChanged: SourceObserver = ({ benchmarks, verdicts }) => {
    this.objects = new Map(benchmarks.map((o) => [o.metadata.uid ?? "", o] as const));
    this.verdicts = new Map(verdicts.map((v) => [v.uid, v] as const));
    const changedOwners = new Set<string>();
    for (const [uid, object] of this.objects) {
      const state: OwnerState = object.metadata.deletionTimestamp !== undefined ? "deleting" : "alive";
      if (this.ownerStates.get(uid) !== state) changedOwners.add(uid);
      this.ownerStates.set(uid, state);
    }
    for (const uid of [...this.ownerStates.keys()]) if (!this.objects.has(uid)) this.ownerStates.delete(uid);
    const names = new Set(benchmarks.map((o) => o.metadata.name));
    for (const name of names) this.refreshBenchmark(name);
    for (const verdict of verdicts) if (verdict.kind !== "Benchmark") this.refreshSourceStatus(verdict);
    if (changedOwners.size > 0) for (const view of this.runs.values()) if (changedOwners.has(this.benchmarks.get(view.benchmark)?.uid ?? "")) this.refreshRun(view);
  };

  benchmarkStatus(update: BenchmarkStatusUpdate): void {
    // The journaled BENCHMARK_STATUS (JournalStatusSink) reaches observe() as well; this only makes sure of it.
    this.refreshBenchmark(update.name);
  }

  runStatus(update: RunStatusUpdate): void {
    const owner = this.ownerOf(update.benchmark);
    if (!owner) return;
    const name = runResourceName(owner.name, update.runId);
    const warning = update.phase === "FAILED" || update.phase === "RECOVERY_PENDING";
    const message = `${update.from} -> ${update.phase}${update.attempt ? ` (attempt ${update.attempt})` : ""}${update.reason ? `: ${update.reason}` : ""}${update.message ? `: ${update.message}` : ""}`;
    const uid = this.runUids.get(name);
    if (uid) this.events.record({ apiVersion: API_VERSION, kind: "Run", namespace: owner.namespace, name, uid }, warning ? "Warning" : "Normal", phaseReason(update.phase), message);
    if (isTerminal(update.phase)) this.benchmarkEvent(update.benchmark, warning ? "Warning" : "Normal", `Run${phaseReason(update.phase)}`, `run ${update.name}: ${message}`);
  }

  start(): void {
    this.started = true;
    this.writer.start();
    for (const name of this.benchmarks.keys()) this.refreshBenchmark(name);
    for (const view of this.runs.values()) this.refreshRun(view);
  }

  stop(): void {
    this.started = false;
    this.writer.stop();
    this.events.stop();
  }

  /** Resolves when every projected object has been written (benchmarks and tests). */
  idle(): Promise<void> {
    return this.writer.idle();
  }

  /** API writes made so far. */
  writes(): number {
    return this.writer.writes;
  }

  private fold(record: JournalRecord): RunView | undefined {
    switch (record.type) {
      case "BENCHMARK_APPLIED": {
        const before = this.benchmarks.get(record.name);
        const origin = record.origin?.kind === "kubernetes" ? record.origin : undefined;
        this.benchmarks.set(record.name, {
          name: record.name,
          ...(origin ? { namespace: origin.namespace, uid: origin.uid, objectGeneration: origin.generation } : {}),
          deleted: false,
          conditions: before?.conditions ?? [],
          runIds: before?.runIds ?? [],
        });
        return undefined;
      }
      case "BENCHMARK_DELETED": {
        const before = this.benchmarks.get(record.name);
        if (before) this.benchmarks.set(record.name, { ...before, deleted: true });
        return undefined;
      }
      case "BENCHMARK_STATUS": {
        const before = this.benchmarks.get(record.name);
        if (before) this.benchmarks.set(record.name, { ...before, conditions: record.conditions, runIds: record.runIds });
        return undefined;
      }
      default:
        return applyRunRecord(this.runs, record);
    }
  }

  private ownerOf(benchmark: string): BenchmarkOwner | undefined {
    const journaled = this.benchmarks.get(benchmark);
    if (!journaled?.uid || journaled.namespace === undefined) return undefined;
    return { namespace: journaled.namespace, name: journaled.name, uid: journaled.uid };
  }

  private condition(verdict: ObjectVerdict | undefined): Condition | undefined {
    if (!verdict) return undefined;
    const status = verdict.problem ? "False" : "True";
    const before = this.validSince.get(verdict.uid);
    const since = before && before.status === status ? before.since : this.clock().toISOString();
    this.validSince.set(verdict.uid, { status, since });
    return sourceValidCondition(verdict, since);
  }

  private refreshBenchmark(name: string): void {
    if (!this.started) return;
    const journaled = this.benchmarks.get(name);
    for (const object of this.objects.values()) {
      if (object.metadata.name !== name || object.metadata.namespace === undefined) continue;
      const uid = object.metadata.uid ?? "";
      const own = journaled && journaled.uid === uid ? journaled : undefined;
      const counts = runCounts(own && !own.deleted ? own.runIds : [], (runId) => this.runs.get(runId)?.phase);
      const body = benchmarkStatusObject({ namespace: object.metadata.namespace, name }, own, this.condition(this.verdicts.get(uid)), counts);
      const ref = { plural: PLURALS.Benchmark, namespace: object.metadata.namespace, name };
      this.writer.put(`Benchmark/${object.metadata.namespace}/${name}`, [{ slot: "status", key: JSON.stringify(body.status), write: async () => void (await this.options.api.applyStatus(ref, body)) }], { urgent: true });
    }
  }

  private refreshSourceStatus(verdict: ObjectVerdict): void {
    if (!this.started || verdict.kind === "Benchmark") return;
    const condition = this.condition(verdict)!;
    const body = sourceStatusObject(verdict.kind, verdict, condition);
    const ref = { plural: PLURALS[verdict.kind], namespace: verdict.namespace, name: verdict.name };
    this.writer.put(`${verdict.kind}/${verdict.namespace}/${verdict.name}`, [{ slot: "status", key: JSON.stringify(body.status), write: async () => void (await this.options.api.applyStatus(ref, body)) }]);
  }

  private refreshRun(view: RunView): void {
    if (!this.started) return;
    const owner = this.ownerOf(view.benchmark);
    const state = owner ? this.ownerStates.get(owner.uid) : undefined;
    // Runs of a Benchmark not (or no longer) on the API server are not written: they would outlive it.
    if (!owner || !state) return;
    const name = runResourceName(owner.name, view.runId);
    const ref = { plural: PLURALS.Run, namespace: owner.namespace, name };
    const status = runStatusObject(view, owner);
    const steps = [{ slot: "status", key: JSON.stringify(status.status), write: async () => void (await this.options.api.applyStatus(ref, status)) }];
    if (state === "alive") {
      const object = runObject(view, owner);
      steps.unshift({
        slot: "object",
        key: JSON.stringify([object.metadata, object.spec]),
        write: async () => {
          const applied = await this.options.api.apply(ref, object);
          if (applied.metadata.uid) this.runUids.set(name, applied.metadata.uid);
        },
      });
    }
    this.writer.put(`Run/${owner.namespace}/${name}`, steps);
  }

  private benchmarkEvent(name: string, type: "Normal" | "Warning", reason: string, message: string): void {
    const owner = this.ownerOf(name);
    if (!owner || !this.started) return;
    this.events.record({ apiVersion: API_VERSION, kind: "Benchmark", namespace: owner.namespace, name: owner.name, uid: owner.uid }, type, reason, message);
  }
}

function phaseReason(phase: string): string {
  return phase
    .toLowerCase()
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}
