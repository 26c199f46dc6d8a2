/**
 * One kind of object kept in memory from a list and a watch (an informer): list once, watch from the list's
 * resourceVersion (with bookmarks), resume the watch where it ended, list again when the server says the version is
 * gone (410) and after errors, with a doubling backoff. Readers ask the cache, never the API.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ListWatchSource, WatchEventType, WatchHandle } from "./kube-api.js";
import { httpStatusOf } from "./kube-errors.js";

export interface CacheListener<T> {
  upsert(object: T): void;
  remove(object: T): void;
}

export interface ResourceCacheOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called with every error of the list/watch loop (the loop keeps going). */
  onError?: (error: unknown) => void;
}

interface Entry<T> {
  object: T;
  /** Inserted from a create response and not yet seen in a list or watch: a list that misses it does not delete it. */
  provisional: boolean;
}

export class ResourceCache<T extends KubernetesObject> {
  private readonly entries = new Map<string, Entry<T>>();
  private resourceVersion = "";
  private handle: WatchHandle | undefined;
  private stopped = false;
  private backoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private synced = false;
  private readonly syncWaiters: Array<() => void> = [];
  /** Every error of the loop so far (for diagnostics: the last one is reported when a sync takes too long). */
  lastError: unknown;

  constructor(
    private readonly source: ListWatchSource<T>,
    private readonly labelSelector: string,
    private readonly listener: CacheListener<T>,
    private readonly options: ResourceCacheOptions = {},
  ) {
    this.backoffMs = options.initialBackoffMs ?? 500;
  }

  start(): void {
    this.stopped = false;
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.handle?.abort();
    this.handle = undefined;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has been read. */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(name: string): T | undefined {
    return this.entries.get(name)?.object;
  }

  values(): T[] {
    return [...this.entries.values()].map((entry) => entry.object);
  }

  /** An object this process just created: cached at once, so a read right after the create sees it. */
  insertCreated(object: T): void {
    const name = object.metadata?.name;
    if (!name || this.entries.has(name)) return;
    this.entries.set(name, { object, provisional: true });
    this.listener.upsert(object);
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await this.source.list(this.labelSelector);
      if (this.stopped) return;
      const present = new Set<string>();
      for (const object of list.items) {
        const name = object.metadata?.name;
        if (!name) continue;
        present.add(name);
        this.entries.set(name, { object, provisional: false });
        this.listener.upsert(object);
      }
      for (const [name, entry] of [...this.entries]) {
        if (present.has(name) || entry.provisional) continue;
        this.entries.delete(name);
        this.listener.remove(entry.object);
      }
      this.resourceVersion = list.resourceVersion;
      this.backoffMs = this.options.initialBackoffMs ?? 500;
      if (!this.synced) {
        this.synced = true;
        for (const resolve of this.syncWaiters.splice(0)) resolve();
      }
      await this.watch();
    } catch (error) {
      this.failed(error, true);
    }
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let ended = false;
    let gone = false;
    // Another ERROR event (e.g. 504 "Too large resource version" while the server's watch cache catches up) ends
    // the watch as a failure: watched again after the backoff, not at once.
    let refused: string | undefined;
    const onEvent = (type: WatchEventType, object: T) => {
      if (type === "ERROR") {
        if (httpStatusOf(object) === 410) gone = true;
        else refused ??= (object as { message?: string }).message ?? "an ERROR event";
        return;
      }
      const version = object.metadata?.resourceVersion;
      if (version) this.resourceVersion = version;
      if (type === "BOOKMARK") return;
      const name = object.metadata?.name;
      if (!name) return;
      if (type === "DELETED") {
        this.entries.delete(name);
        this.listener.remove(object);
      } else {
        this.entries.set(name, { object, provisional: false });
        this.listener.upsert(object);
      }
    };
    const onDone = (error: unknown) => {
      if (ended) return;
      ended = true;
      this.handle = undefined;
      if (this.stopped) return;
      if (gone || httpStatusOf(error) === 410) void this.relist();
      else if (error) this.failed(error, false);
      else if (refused !== undefined) this.failed(new Error(`the watch was refused: ${refused}`), false);
      else void this.watch(); // the server's timeout: resume from the last resourceVersion
    };
    try {
      const handle = await this.source.watch(this.labelSelector, this.resourceVersion, onEvent, onDone);
      if (ended || this.stopped) handle.abort();
      else this.handle = handle;
    } catch (error) {
      onDone(error);
    }
  }

  /** After an error: wait (doubling up to maxBackoffMs), then list again (a watch error) or retry the list. */
  private failed(error: unknown, duringList: boolean): void {
    if (this.stopped) return;
    this.lastError = error;
    this.options.onError?.(error);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.options.maxBackoffMs ?? 30_000, this.backoffMs * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (duringList || !this.resourceVersion) void this.relist();
      else void this.resumeOrRelist();
    }, delay);
  }

  /** A watch that failed resumes from its resourceVersion; the server answers 410 if that is too old, and the cache lists again. */
  private async resumeOrRelist(): Promise<void> {
    await this.watch();
  }
}
