/**
 * The `multiverse.io/cancel-runs` finalizer of Benchmark objects: added when a Benchmark is first seen, so that
 * `kubectl delete` leaves the object in place (deletionTimestamp set) while its unfinished runs are cancelled
 * (the source no longer declares a Benchmark being deleted: the Benchmark controller journals the deletion and
 * cancels, as for `multiverse delete`); removed once the journal has the Benchmark deleted and none of its runs is
 * unfinished. Bundles stay. JSON patches with a `test` of the finalizer list, so a concurrent writer is never
 * overwritten (a failed test is retried with backoff after the cache caught up).
 */
import type { KubeApi, JsonPatchOperation } from "../src/sources/kubernetes/kube-api.js";
import { CANCEL_FINALIZER, PLURALS, type KubeObject } from "../src/sources/kubernetes/kube-objects.js";
import type { SourceObserver } from "../src/sources/kubernetes/kubernetes-source.js";
import { ReconcileLoop, type ReconcileResult } from "./loop/reconcile-loop.js";

export interface FinalizerView {
  unfinishedRuns(benchmark: string): number;
  benchmarkDeleted(benchmark: string): boolean;
}

export type FinalizerAction = { kind: "none" } | { kind: "add"; operations: JsonPatchOperation[] } | { kind: "wait"; unfinished: number } | { kind: "remove"; operations: JsonPatchOperation[] };

/** What to do with one Benchmark object's finalizer (pure). */
export function finalizerAction(object: KubeObject, view: FinalizerView): FinalizerAction {
  const finalizers = object.metadata.finalizers ?? [];
  const index = finalizers.indexOf(CANCEL_FINALIZER);
  const guard: JsonPatchOperation[] = object.metadata.uid ? [{ op: "test", path: "/metadata/uid", value: object.metadata.uid }] : [];
  if (object.metadata.deletionTimestamp === undefined) {
    if (index >= 0) return { kind: "none" };
    return {
      kind: "add",
      operations: object.metadata.finalizers === undefined
        ? [...guard, { op: "add", path: "/metadata/finalizers", value: [CANCEL_FINALIZER] }]
        : [...guard, { op: "test", path: "/metadata/finalizers", value: finalizers }, { op: "add", path: "/metadata/finalizers/-", value: CANCEL_FINALIZER }],
    };
  }
  if (index < 0) return { kind: "none" };
  const name = object.metadata.name;
  const unfinished = view.unfinishedRuns(name);
  if (unfinished > 0 || !view.benchmarkDeleted(name)) return { kind: "wait", unfinished };
  return { kind: "remove", operations: [...guard, { op: "test", path: `/metadata/finalizers/${index}`, value: CANCEL_FINALIZER }, { op: "remove", path: `/metadata/finalizers/${index}` }] };
}

export class CancelFinalizer {
  private objects = new Map<string, KubeObject>();
  private readonly loop: ReconcileLoop<string>;

  constructor(private readonly deps: { api: KubeApi; view: FinalizerView; log: (line: string) => void }) {
    this.loop = new ReconcileLoop<string>({
      name: "benchmark-finalizer",
      reconciler: { reconcile: (uid) => this.reconcile(uid) },
      baseDelayMs: 200,
      maxDelayMs: 30_000,
      onError: (uid, error) => deps.log(`finalizer of ${this.objects.get(uid)?.metadata.name ?? uid}: ${(error as Error).message}`),
    });
  }

  readonly sourceChanged: SourceObserver = ({ benchmarks }) => {
    this.objects = new Map(benchmarks.map((o) => [o.metadata.uid ?? `${o.metadata.namespace}/${o.metadata.name}`, o] as const));
    for (const uid of this.objects.keys()) this.loop.enqueue(uid);
  };

  /** A run changed phase or a deletion was journaled: the Benchmarks being deleted get another look. */
  deletionsMayHaveProgressed(): void {
    for (const [uid, object] of this.objects) if (object.metadata.deletionTimestamp !== undefined) this.loop.enqueue(uid);
  }

  start(): void {
    this.loop.start(1);
    for (const uid of this.objects.keys()) this.loop.enqueue(uid);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async reconcile(uid: string): Promise<ReconcileResult> {
    const object = this.objects.get(uid);
    if (!object || object.metadata.namespace === undefined) return {};
    const action = finalizerAction(object, this.deps.view);
    const ref = { plural: PLURALS.Benchmark, namespace: object.metadata.namespace, name: object.metadata.name };
    if (action.kind === "add" || action.kind === "remove") {
      await this.deps.api.patch(ref, action.operations);
      if (action.kind === "remove") this.deps.log(`benchmark ${object.metadata.namespace}/${object.metadata.name}: runs cancelled, finalizer ${CANCEL_FINALIZER} removed`);
      return {};
    }
    // Run transitions requeue it too; the timer is a safety net.
    return action.kind === "wait" ? { requeueAfterMs: 5_000 } : {};
  }
}
