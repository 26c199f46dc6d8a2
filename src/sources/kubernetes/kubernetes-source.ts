/**
 * Desired state from the Kubernetes API server: a reflector (list + watch) per kind over Dataset, Model and
 * Benchmark custom resources in one namespace or all of them. Level-triggered like the file source: every change
 * of a cache composes the whole state again (coalesced to one composition per turn of the event loop), and the
 * state is handed over only when what the controller acts on changed (status writes, which move only the
 * resourceVersion, do not count). The first state is handed over once all three kinds have been listed, so a
 * Benchmark is never taken for deleted because its Datasets were listed first.
 */
import { Errors } from "../../domain/errors.js";
import type { DesiredState, ResourceSource } from "../resource-source.js";
import type { SourcedResource } from "../resource-source.js";
import { composeDesiredState, type ObjectVerdict, type ObservedObject } from "./compose-state.js";
import type { KubeApi } from "./kube-api.js";
import { PLURALS, type KubeObject, type SourceKindName } from "./kube-objects.js";
import { ListWatch, type ListWatchStats } from "./list-watch.js";

const KINDS: readonly SourceKindName[] = ["Dataset", "Model", "Benchmark"];

export interface KubernetesSourceOptions {
  api: KubeApi;
  /** One namespace, or undefined for all namespaces. */
  namespace?: string;
  /** Resolves relative dataset paths (default: the working directory). */
  baseDir?: string;
  log?: (line: string) => void;
  /** Watch timeout per connection (tests use a short one to see the server close watches). */
  watchTimeoutSeconds?: () => number;
}

/** Told of every change of the caches: the Benchmark objects as the server has them, and each object's verdict. */
export type SourceObserver = (change: { benchmarks: readonly KubeObject[]; verdicts: readonly ObjectVerdict[] }) => void;

export class KubernetesSource implements ResourceSource {
  private readonly watches = new Map<SourceKindName, ListWatch>();
  private readonly observers: SourceObserver[] = [];
  private onChange: ((state: DesiredState) => void) | undefined;
  private state: DesiredState = { revision: 0, resources: [], problems: [] };
  private lastKey = "";
  private lastGood = new Map<string, SourcedResource>();
  private scheduled = false;
  private started = false;
  private stopped = false;

  constructor(private readonly options: KubernetesSourceOptions) {
    for (const kind of KINDS) {
      this.watches.set(kind, new ListWatch({
        api: options.api,
        collection: { plural: PLURALS[kind], ...(options.namespace !== undefined ? { namespace: options.namespace } : {}) },
        onChange: () => this.schedule(),
        ...(options.log ? { log: options.log } : {}),
        ...(options.watchTimeoutSeconds ? { watchTimeoutSeconds: options.watchTimeoutSeconds } : {}),
      }));
    }
  }

  /** Observers are told of every change (the SourceValid writer, the finalizer). Add them before start. */
  observe(observer: SourceObserver): void {
    this.observers.push(observer);
  }

  current(): DesiredState {
    return this.state;
  }

  async start(onChange: (state: DesiredState) => void): Promise<void> {
    if (this.started) throw Errors.usage("the Kubernetes source is already started");
    this.started = true;
    this.onChange = onChange;
    await Promise.all([...this.watches.values()].map((watch) => watch.start()));
    this.compose();
  }

  stop(): Promise<void> {
    this.stopped = true;
    for (const watch of this.watches.values()) watch.stop();
    return Promise.resolve();
  }

  stats(): Record<SourceKindName, ListWatchStats> {
    return { Dataset: this.watches.get("Dataset")!.stats, Model: this.watches.get("Model")!.stats, Benchmark: this.watches.get("Benchmark")!.stats };
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.compose();
    });
  }

  private compose(): void {
    if (this.stopped || ![...this.watches.values()].every((w) => w.hasSynced())) return;
    const objects: ObservedObject[] = [];
    for (const [kind, watch] of this.watches) for (const object of watch.objects()) objects.push({ kind, object });
    const composed = composeDesiredState(objects, this.lastGood, this.options.baseDir ?? process.cwd());
    this.lastGood = composed.lastGood;
    const change = { benchmarks: this.watches.get("Benchmark")!.objects(), verdicts: composed.verdicts };
    for (const observer of this.observers) {
      try {
        observer(change);
      } catch (error) {
        this.options.log?.(`kubernetes source observer: ${(error as Error).message}`);
      }
    }
    const key = JSON.stringify([
      composed.resources.map((r) => [r.kind, r.name, r.origin.kind === "kubernetes" ? r.origin.uid : "", r.generation, r.specHash, r.stale]),
      composed.problems.map((p) => [p.resource?.kind, p.resource?.name, p.field, p.code, p.message]),
    ]);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.state = { revision: this.state.revision + 1, resources: composed.resources, problems: composed.problems };
    this.onChange?.(this.state);
  }
}
