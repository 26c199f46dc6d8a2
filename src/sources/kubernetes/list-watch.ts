/**
 * A reflector over one collection (client-go's ListWatch): list, then watch from the list's resourceVersion with
 * bookmarks, keeping a cache of the objects by uid. A watch the server closes (its timeout, a dropped connection)
 * is resumed from the last resourceVersion seen; a resourceVersion too old for the server (410 Gone, as an ERROR
 * event or an HTTP status) makes a full relist that replaces the cache as a whole, so an object deleted while no
 * watch was open disappears too. Failed lists and watches are retried with backoff (the project's rate limiter).
 */
import { ExponentialBackoff, type RateLimiter } from "../../util/rate-limiter.js";
import { apiMessageOf, type KubeApi, type WatchEvent, type WatchHandle } from "./kube-api.js";
import { httpStatusOf } from "../../executors/kubernetes/kube-errors.js";
import { isKubeObject, type CollectionRef, type KubeObject } from "./kube-objects.js";

export interface ListWatchOptions {
  api: KubeApi;
  collection: CollectionRef;
  /** Called after the first list and after every change of the cache. */
  onChange: () => void;
  log?: (line: string) => void;
  /** How long the server keeps one watch open (default 5 to 10 minutes, spread like client-go's). */
  watchTimeoutSeconds?: () => number;
  backoff?: RateLimiter<string>;
  /**
   * Watch from this resourceVersion before any list (a restart that remembers where it was): events after it are
   * applied, a version the server no longer has (410 Gone) falls back to the full list, and the first sync is
   * that list's.
   */
  resumeFrom?: string;
}

export interface ListWatchStats {
  lists: number;
  watches: number;
  /** Relists forced by 410 Gone. */
  expired: number;
  failures: number;
}

const BACKOFF_KEY = "list-watch";

export class ListWatch {
  private readonly cache = new Map<string, KubeObject>();
  private resourceVersion = "";
  private synced = false;
  private stopped = false;
  private handle: WatchHandle | undefined;
  /** Every watch gets a number; the callbacks of a watch that was replaced or aborted are ignored. */
  private watchNumber = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: RateLimiter<string>;
  private firstSync: { resolve: () => void; promise: Promise<void> };
  readonly stats: ListWatchStats = { lists: 0, watches: 0, expired: 0, failures: 0 };

  constructor(private readonly options: ListWatchOptions) {
    this.backoff = options.backoff ?? new ExponentialBackoff<string>(200, 30_000);
    let resolve: () => void = () => undefined;
    const promise = new Promise<void>((done) => (resolve = done));
    this.firstSync = { resolve, promise };
  }

  /** Starts listing; resolves once the first list has filled the cache (it keeps retrying until then). */
  start(): Promise<void> {
    if (this.options.resumeFrom !== undefined) {
      this.resourceVersion = this.options.resumeFrom;
      void this.watch();
    } else void this.relist();
    return this.firstSync.promise;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.watchNumber += 1;
    this.handle?.abort();
    this.handle = undefined;
    this.firstSync.resolve();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  objects(): KubeObject[] {
    return [...this.cache.values()];
  }

  lastResourceVersion(): string {
    return this.resourceVersion;
  }

  private later(what: () => Promise<void>, reason: string): void {
    if (this.stopped) return;
    this.stats.failures += 1;
    const delay = this.backoff.when(BACKOFF_KEY);
    this.options.log?.(`kubernetes ${this.describe()}: ${reason}; retrying in ${delay} ms`);
    this.timer = setTimeout(() => void what(), delay);
  }

  private describe(): string {
    return `${this.options.collection.plural}${this.options.collection.namespace !== undefined ? ` in ${this.options.collection.namespace}` : " in all namespaces"}`;
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    let listed: { items: KubeObject[]; resourceVersion: string };
    try {
      this.stats.lists += 1;
      listed = await this.options.api.list(this.options.collection);
    } catch (error) {
      this.later(() => this.relist(), `list failed: ${apiMessageOf(error)}`);
      return;
    }
    if (this.stopped) return;
    this.backoff.forget(BACKOFF_KEY);
    this.cache.clear();
    for (const item of listed.items) this.cache.set(uidOf(item), item);
    this.resourceVersion = listed.resourceVersion;
    this.synced = true;
    this.options.onChange();
    this.firstSync.resolve();
    await this.watch();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const number = ++this.watchNumber;
    this.handle?.abort();
    const current = () => number === this.watchNumber && !this.stopped;
    let expired = false;
    let refused: string | undefined;
    let sawEvent = false;
    const openedAt = Date.now();
    const onEvent = (event: WatchEvent) => {
      if (!current()) return;
      sawEvent = true;
      if (event.type === "ERROR") {
        const code = "code" in event.object ? event.object.code : undefined;
        if (code === 410) expired = true;
        // e.g. 504 "Too large resource version" while the server's watch cache catches up: retried after the backoff
        else refused ??= ("message" in event.object && typeof event.object.message === "string" ? event.object.message : undefined) ?? `an ERROR event (code ${String(code)})`;
        return;
      }
      if (!isKubeObject(event.object)) return;
      const object = event.object;
      if (object.metadata.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
      if (event.type === "BOOKMARK") return;
      this.backoff.forget(BACKOFF_KEY);
      if (event.type === "DELETED") this.cache.delete(uidOf(object));
      else this.cache.set(uidOf(object), object);
      this.options.onChange();
    };
    const onDone = (error: unknown) => {
      if (!current()) return;
      this.handle = undefined;
      if (expired || httpStatusOf(error) === 410) {
        this.stats.expired += 1;
        this.options.log?.(`kubernetes ${this.describe()}: resourceVersion ${this.resourceVersion} expired (410 Gone); listing again`);
        void this.relist();
      } else if (error) this.later(() => this.watch(), `watch failed: ${apiMessageOf(error)}`);
      else if (refused !== undefined) this.later(() => this.watch(), `the watch was refused: ${refused}`);
      // The server closed the watch (its timeout): resume from the last resourceVersion, at once unless it closes
      // as soon as it opens (then it is a failure like any other, and backs off).
      else if (Date.now() - openedAt < 1000 && !sawEvent) this.later(() => this.watch(), "the watch closed as soon as it opened");
      else void this.watch();
    };
    try {
      this.stats.watches += 1;
      const timeoutSeconds = this.options.watchTimeoutSeconds?.() ?? 300 + Math.floor(Math.random() * 300);
      const handle = await this.options.api.watch(this.options.collection, { resourceVersion: this.resourceVersion, timeoutSeconds }, onEvent, onDone);
      if (current()) this.handle = handle;
      else handle.abort();
    } catch (error) {
      if (current()) this.later(() => this.watch(), `watch failed: ${apiMessageOf(error)}`);
    }
  }
}

function uidOf(object: KubeObject): string {
  return object.metadata.uid ?? `${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}
