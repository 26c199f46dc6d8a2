/**
 * Desired state from a directory tree, watched with chokidar. Level-triggered: a filesystem event only schedules
 * a re-read of the whole tree after a short quiet time (debounce), and the whole state is handed over only when
 * it differs from the last one. What this protects against:
 * - A file that fails to load keeps its last good resources in force (marked stale) next to its problem, so a
 *   half-written or mistyped file never deletes (and so cancels) what it declared. A file that cannot be read,
 *   under a directory that cannot be read, or a watched directory that is gone keeps its resources the same way.
 * - A file whose content changed less than `settleMs` ago is still being written. While any file is, or while
 *   files are gone from a directory whose entries changed that recently, the next state is held back as a whole
 *   (up to `maxHoldMs`): a git checkout that moves a Benchmark from one file to another, or a rename, is handed
 *   over as one state, never as a delete followed by a create. A complete file that only arrives (renamed into
 *   the tree after it was written, as tools that write atomically do) is handed over at once.
 * - The watched directory may be replaced (renamed over, removed and recreated, or a symlink swapped as git-sync
 *   does): the watcher follows the new directory.
 * - Dotfiles, dot-directories and editor leftovers (*.swp, *~, #*#, 4913, *.tmp) are ignored; symlinks are
 *   followed only when they resolve inside the tree.
 * - usePolling (network filesystems, where inotify sees nothing) polls with chokidar and re-reads the tree every
 *   pollIntervalMs as well; independently, a resync every resyncMs catches events that were lost.
 */
import { mkdirSync, watch as watchDirectory, type FSWatcher as DirectoryWatcher } from "node:fs";
import { basename, dirname, resolve, sep } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { Errors } from "../domain/errors.js";
import { loadResourceFile, problemOf, type LoadedFile } from "./load-documents.js";
import { mergeDeclarations } from "./merge-declarations.js";
import type { DesiredState, ResourceSource, FileSourcedResource, FileSourceProblem } from "./resource-source.js";
import { isIgnoredName, isManifestName, rootIdentity, sameStamp, scanTree, type FileStamp } from "./tree-scan.js";

export interface FileSourceOptions {
  directory: string;
  /** Quiet time after the last filesystem event before the tree is re-read (default 150 ms). */
  debounceMs?: number;
  /** A steady stream of events postpones a re-read by at most this long (default 2 s). */
  maxDelayMs?: number;
  /** A file changed less than this long ago is still being written (default 3 x debounce, at least 300 ms). */
  settleMs?: number;
  /** The longest files still being written may hold back the next state of the whole tree (default 10 s). */
  maxHoldMs?: number;
  /** Poll instead of relying on inotify (network filesystems). */
  usePolling?: boolean;
  pollIntervalMs?: number;
  /** Re-read the tree at this interval whatever the watcher reports (default 60 s; 0 turns it off). */
  resyncMs?: number;
  /** The time files' mtimes and ctimes are compared with (tests). */
  clock?: () => number;
}

interface LoadedVersion extends LoadedFile {
  stamp: FileStamp;
}

const resourceKey = (r: FileSourcedResource) => `${r.kind}/${r.name}`;
const WATCH_READY_TIMEOUT_MS = 30_000;

export class FileSource implements ResourceSource {
  private readonly root: string;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly settleMs: number;
  private readonly maxHoldMs: number;
  private readonly pollIntervalMs: number;
  private readonly resyncMs: number;
  private readonly clock: () => number;
  private onChange: ((state: DesiredState) => void) | undefined;
  private started = false;
  private stopped = false;
  private readonly stopSignal: Promise<void>;
  private signalStop: () => void = () => undefined;

  private watcher: FSWatcher | undefined;
  private watchedKey: string | undefined;
  private rewatching: Promise<void> | undefined;
  private watchProblem: FileSourceProblem | undefined;
  private parentWatcher: DirectoryWatcher | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstRequestAt: number | undefined;
  private readonly intervals: ReturnType<typeof setInterval>[] = [];

  /** Per file: the version last read; per file, the last good version of each resource it declared. */
  private readonly files = new Map<string, LoadedVersion>();
  private readonly lastGood = new Map<string, FileSourcedResource[]>();
  /** Files seen changing but not read yet, and directories: the stamp first seen and when. */
  private readonly pending = new Map<string, { stamp: FileStamp; since: number }>();
  private readonly directoryPending = new Map<string, { stamp: FileStamp; since: number }>();
  private holdingSince: number | undefined;
  private state: DesiredState = { revision: 0, resources: [], problems: [] };
  private lastKey = "";

  constructor(private readonly options: FileSourceOptions) {
    this.root = resolve(options.directory);
    this.debounceMs = options.debounceMs ?? 150;
    this.maxDelayMs = options.maxDelayMs ?? Math.max(2000, 4 * this.debounceMs);
    this.settleMs = options.settleMs ?? Math.max(300, 3 * this.debounceMs);
    this.maxHoldMs = options.maxHoldMs ?? 10_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.resyncMs = options.resyncMs ?? 60_000;
    this.clock = options.clock ?? Date.now;
    this.stopSignal = new Promise((done) => (this.signalStop = done));
  }

  current(): DesiredState {
    return this.state;
  }

  async start(onChange: (state: DesiredState) => void): Promise<void> {
    if (this.started) throw Errors.usage(`the file source for ${this.root} is already started`);
    this.started = true;
    this.onChange = onChange;
    try {
      mkdirSync(this.root, { recursive: true });
    } catch (error) {
      throw Errors.fileNotFound(`cannot create the watched directory ${this.root}: ${(error as Error).message}`, { location: { file: this.root } });
    }
    this.rescan(true);
    this.watchParent();
    await this.ensureWatching();
    if (this.stopped) return;
    if (this.options.usePolling) this.intervals.push(setInterval(() => this.request(0), this.pollIntervalMs));
    if (this.resyncMs > 0) this.intervals.push(setInterval(() => this.request(0), this.resyncMs));
    // Changes made between the first read and the watcher being ready.
    this.request(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const interval of this.intervals) clearInterval(interval);
    this.intervals.length = 0;
    this.parentWatcher?.close();
    this.parentWatcher = undefined;
    await this.rewatching;
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
  }

  /** Re-read the tree after `delayMs`, or sooner if a stream of requests has already waited `maxDelayMs`. */
  private request(delayMs: number): void {
    if (this.stopped) return;
    const now = Date.now();
    this.firstRequestAt ??= now;
    const due = Math.min(now + delayMs, this.firstRequestAt + this.maxDelayMs);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.firstRequestAt = undefined;
      this.rescan(false);
    }, Math.max(0, due - now));
  }

  private rescan(initial: boolean): void {
    if (this.stopped) return;
    const now = this.clock();
    const scan = scanTree(this.root);
    const changed: [string, FileStamp][] = [];
    let unsettledUntil = Number.POSITIVE_INFINITY;
    for (const [path, stamp] of scan.files) {
      const known = this.files.get(path);
      if (known && sameStamp(known.stamp, stamp)) {
        this.pending.delete(path);
        continue;
      }
      // The first read of a controller does not wait: files written before it started are complete or broken.
      const settledAt = initial ? now : this.settledAt(this.pending, path, stamp, now, true);
      if (settledAt <= now) changed.push([path, stamp]);
      else unsettledUntil = Math.min(unsettledUntil, settledAt);
    }
    // Files gone from a directory changed moments ago: more may follow (a checkout deletes, then writes). A file
    // that only arrived, complete (renamed in, or copied with its old mtime), does not hold the tree back.
    const removed = !initial && [...this.files.keys()].some((path) => !scan.files.has(path));
    for (const [path, stamp] of scan.directories) {
      const settledAt = this.settledAt(this.directoryPending, path, stamp, now);
      if (removed && settledAt > now) unsettledUntil = Math.min(unsettledUntil, settledAt);
    }
    for (const path of [...this.pending.keys()]) if (!scan.files.has(path)) this.pending.delete(path);
    for (const path of [...this.directoryPending.keys()]) if (!scan.directories.has(path)) this.directoryPending.delete(path);
    if (!initial) void this.ensureWatching();

    const unsettled = unsettledUntil !== Number.POSITIVE_INFINITY;
    if (unsettled) {
      this.holdingSince ??= now;
      if (now - this.holdingSince < this.maxHoldMs) {
        this.request(Math.max(10, unsettledUntil - now));
        return;
      }
    }
    this.holdingSince = undefined;

    for (const [path, stamp] of changed) {
      this.files.set(path, this.load(path, stamp));
      this.pending.delete(path);
    }
    const keptStale = new Set<string>();
    for (const path of [...this.files.keys()]) {
      if (scan.files.has(path)) continue;
      if (scan.rootMissing || scan.unreadable.some((u) => path === u || path.startsWith(u + sep))) keptStale.add(path);
      else {
        this.files.delete(path);
        this.lastGood.delete(path);
      }
    }
    const declarations = [...this.files].map(([file, version]) => ({ file, resources: version.resources, problems: version.problems, stale: keptStale.has(file) }));
    const treeProblems = this.watchProblem ? [...scan.problems, this.watchProblem] : scan.problems;
    this.emit(mergeDeclarations(declarations, treeProblems));
    if (unsettled) this.request(Math.max(10, unsettledUntil - now));
    else if (scan.rootMissing) this.request(this.pollIntervalMs);
  }

  /**
   * When a changed file counts as completely written: `settleMs` after its content last changed, judged by its
   * mtime or, when the file's clock cannot be trusted (a network filesystem whose server runs ahead), by how long
   * its stamp has stayed the same here. A file whose last change came after its last write (ctime past mtime: it
   * was renamed into place, or given its times or mode after the last byte, as cp -p and tar do) is complete now.
   * A directory counts from its last entry change (its ctime as well).
   */
  private settledAt(pending: Map<string, { stamp: FileStamp; since: number }>, path: string, stamp: FileStamp, now: number, contentOnly = false): number {
    const seen = pending.get(path);
    const since = seen && sameStamp(seen.stamp, stamp) ? seen.since : now;
    if (since === now) pending.set(path, { stamp, since });
    if (contentOnly && stamp.ctimeMs > stamp.mtimeMs) return now;
    return Math.min(since, contentOnly ? stamp.mtimeMs : Math.max(stamp.mtimeMs, stamp.ctimeMs)) + this.settleMs;
  }

  /** A file's resources; when it has problems, what it declared before and no longer does stays in, stale. */
  private load(path: string, stamp: FileStamp): LoadedVersion {
    let loaded: LoadedFile;
    try {
      loaded = loadResourceFile(path);
    } catch (error) {
      loaded = { resources: [], problems: [problemOf(Errors.fileNotFound(`cannot read ${path}: ${(error as Error).message}`), path)] };
    }
    if (loaded.problems.length === 0 && loaded.resources.length === 0) {
      // Truncated by an editor or a checkout mid-write, or emptied by mistake: removing the file is how to delete.
      const problem = Errors.emptyFile("the file declares nothing (it is empty or holds only comments); what it declared before stays in force; remove the file to delete it", { location: { file: path, line: 1 } });
      loaded = { resources: [], problems: [problemOf(problem, path, 1)] };
    }
    if (loaded.problems.length === 0) {
      this.lastGood.set(path, loaded.resources);
      return { stamp, ...loaded };
    }
    const declaredNow = new Set(loaded.resources.map(resourceKey));
    const kept = (this.lastGood.get(path) ?? []).filter((r) => !declaredNow.has(resourceKey(r)));
    this.lastGood.set(path, [...loaded.resources, ...kept]);
    return { stamp, resources: [...loaded.resources, ...kept.map((r) => ({ ...r, stale: true }))], problems: loaded.problems };
  }

  private emit(merged: { resources: FileSourcedResource[]; problems: FileSourceProblem[] }): void {
    const key = JSON.stringify(merged);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.state = { revision: this.state.revision + 1, resources: merged.resources, problems: merged.problems };
    this.onChange?.(this.state);
  }

  /** (Re)creates the chokidar watcher when the watched directory is not the one being watched. */
  private ensureWatching(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.rewatching) return this.rewatching;
    const identity = rootIdentity(this.root);
    if (identity?.key === this.watchedKey) return Promise.resolve();
    this.rewatching = this.rewatch(identity)
      .catch((error: unknown) => {
        this.watchProblem = problemOf(Errors.fileNotFound(`cannot watch ${this.root}: ${(error as Error).message}; the tree is re-read every ${this.resyncMs / 1000} s`), this.root);
      })
      .finally(() => (this.rewatching = undefined));
    return this.rewatching;
  }

  private async rewatch(identity: { realPath: string; key: string } | undefined): Promise<void> {
    const previous = this.watcher;
    this.watcher = undefined;
    this.watchedKey = undefined;
    await previous?.close();
    if (this.stopped || !identity) return;
    const realRoot = identity.realPath;
    const watcher = watch(realRoot, {
      ignoreInitial: true,
      // In-tree symlinks point at files watched anyway; those that leave the tree are refused by the scan.
      followSymlinks: false,
      depth: 20,
      usePolling: this.options.usePolling ?? false,
      interval: this.pollIntervalMs,
      ignored: (path, stats) => path !== realRoot && (isIgnoredName(basename(path)) || (stats?.isFile() === true && !isManifestName(basename(path)))),
    });
    this.watcher = watcher;
    watcher.on("all", () => this.request(this.debounceMs));
    watcher.on("error", (error) => {
      this.watchProblem = problemOf(Errors.fileNotFound(`watching ${this.root} failed: ${(error as Error).message}; the tree is re-read every ${this.resyncMs / 1000} s`), this.root);
      this.request(this.debounceMs);
    });
    let timeout: ReturnType<typeof setTimeout> | undefined;
    const ready = await Promise.race([
      new Promise<boolean>((done) => watcher.once("ready", () => done(true))),
      this.stopSignal.then(() => false),
      new Promise<boolean>((done) => (timeout = setTimeout(() => done(false), WATCH_READY_TIMEOUT_MS))),
    ]);
    clearTimeout(timeout);
    if (this.stopped || !ready) {
      if (this.watcher === watcher) this.watcher = undefined;
      await watcher.close();
      return;
    }
    this.watchedKey = identity.key;
    this.watchProblem = undefined;
    // Changes made while the previous watcher was gone.
    this.request(0);
  }

  /** The watched directory's own entry in its parent: catches it being renamed over, recreated or re-linked. */
  private watchParent(): void {
    const name = basename(this.root);
    try {
      const watcher = watchDirectory(dirname(this.root), (_event, changed) => {
        if (changed === null || changed === name) this.request(this.debounceMs);
      });
      watcher.on("error", () => {
        watcher.close();
        if (this.parentWatcher === watcher) this.parentWatcher = undefined;
      });
      this.parentWatcher = watcher;
    } catch {
      // The parent cannot be watched (permissions, a network filesystem): the resync and polling still notice.
    }
  }
}
