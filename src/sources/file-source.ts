/**
 * Desired state from a directory tree, watched with chokidar. Level-triggered: any change schedules a full
 * rescan after a short debounce, and the whole state is handed over only when it differs from the last one.
 * - A file that fails to load keeps its last good resources in force (marked stale) next to its problem, so
 *   a half-written or mistyped file never deletes what it declared.
 * - A file modified within the last `settleMs` is still being written: its previous version stays in force
 *   and the rescan is repeated once it has settled.
 * - Dotfiles, dot-directories and editor leftovers (*.swp, *~, .#*, 4913, *.tmp) are ignored; symlinks are
 *   followed only when they resolve inside the tree.
 * - usePolling (network filesystems, git-sync's symlink swaps) polls and rescans every pollIntervalMs as well.
 */
import { mkdirSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { loadResourceDocuments } from "./load-documents.js";
import type { DesiredState, ResourceSource, SourcedResource, SourceProblem } from "./resource-source.js";

export interface FileSourceOptions {
  directory: string;
  debounceMs?: number;
  /** A file younger than this is considered still being written (default 3 x debounce, at least 300 ms). */
  settleMs?: number;
  usePolling?: boolean;
  pollIntervalMs?: number;
  clock?: () => number;
}

const EDITOR_LEFTOVER = /(^\.|~$|\.swp$|\.swx$|\.tmp$|^4913$|^#.*#$)/;

export function isIgnoredName(name: string): boolean {
  return EDITOR_LEFTOVER.test(name);
}

interface FileEntry {
  path: string;
  stat: Stats;
}

interface FileState {
  mtimeMs: number;
  size: number;
  resources: SourcedResource[];
  problems: SourceProblem[];
}

export class FileSource implements ResourceSource {
  private readonly root: string;
  private readonly debounceMs: number;
  private readonly settleMs: number;
  private readonly clock: () => number;
  private watcher: FSWatcher | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  private onChange: ((state: DesiredState) => void) | undefined;
  /** Per file: the last version read, and the last version that loaded without problems. */
  private readonly files = new Map<string, FileState>();
  private readonly lastGood = new Map<string, SourcedResource[]>();
  private state: DesiredState = { revision: 0, resources: [], problems: [] };
  private lastKey = "";
  private stopped = false;

  constructor(private readonly options: FileSourceOptions) {
    this.root = resolve(options.directory);
    this.debounceMs = options.debounceMs ?? 150;
    this.settleMs = options.settleMs ?? Math.max(300, 3 * this.debounceMs);
    this.clock = options.clock ?? Date.now;
  }

  current(): DesiredState {
    return this.state;
  }

  async start(onChange: (state: DesiredState) => void): Promise<void> {
    this.onChange = onChange;
    mkdirSync(this.root, { recursive: true });
    this.rescan(true);
    const watcher = watch(this.root, {
      ignoreInitial: true,
      ignored: (path: string) => path !== this.root && isIgnoredName(basename(path)),
      usePolling: this.options.usePolling ?? false,
      interval: this.options.pollIntervalMs ?? 1000,
      followSymlinks: true,
      atomic: true,
    });
    watcher.on("all", () => this.schedule(this.debounceMs));
    watcher.on("error", () => this.schedule(this.debounceMs));
    await new Promise<void>((resolveReady) => watcher.once("ready", () => resolveReady()));
    this.watcher = watcher;
    if (this.options.usePolling) this.poller = setInterval(() => this.schedule(0), this.options.pollIntervalMs ?? 2000);
    // Changes made between the first scan and the watcher being ready.
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poller) clearInterval(this.poller);
    await this.watcher?.close();
    this.watcher = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.rescan(false);
    }, delayMs);
  }

  /** Reads the whole tree; hands the state over if it changed. */
  rescan(initial: boolean): void {
    if (this.stopped) return;
    const problems: SourceProblem[] = [];
    const entries = this.walk(problems);
    const present = new Set(entries.map((e) => e.path));
    for (const path of [...this.files.keys()]) {
      if (!present.has(path)) {
        this.files.delete(path);
        this.lastGood.delete(path);
      }
    }
    let unsettled = false;
    for (const { path, stat } of entries) {
      const known = this.files.get(path);
      if (known && known.mtimeMs === stat.mtimeMs && known.size === stat.size) continue;
      // A file still being written keeps its previous version (none, if new) until it settles; not on the
      // first scan, where waiting would only delay a controller's start.
      if (!initial && this.clock() - stat.mtimeMs < this.settleMs) {
        unsettled = true;
        continue;
      }
      this.files.set(path, this.load(path, stat));
    }
    const resources: SourcedResource[] = [];
    const owners = new Map<string, SourcedResource>();
    for (const path of [...this.files.keys()].sort()) {
      const file = this.files.get(path)!;
      problems.push(...file.problems);
      for (const resource of file.resources) {
        const key = `${resource.kind}/${resource.name}`;
        const owner = owners.get(key);
        if (owner) {
          problems.push({ file: resource.file, line: resource.line, field: "metadata.name", code: "MV_DUPLICATE", message: `${key} is already declared in ${owner.file}:${owner.line}; this declaration is ignored` });
          continue;
        }
        owners.set(key, resource);
        resources.push(resource);
      }
    }
    this.emit(resources, problems);
    if (unsettled) this.schedule(this.settleMs);
  }

  private load(path: string, stat: Stats): FileState {
    let loaded: { resources: SourcedResource[]; problems: SourceProblem[] };
    try {
      loaded = loadResourceDocuments(readFileSync(path, "utf8"), path);
    } catch (error) {
      loaded = { resources: [], problems: [{ file: path, code: "MV_FILE_NOT_FOUND", message: `cannot read: ${(error as Error).message}` }] };
    }
    let resources = loaded.resources;
    if (loaded.problems.length === 0) this.lastGood.set(path, resources);
    else {
      const current = new Set(resources.map((r) => `${r.kind}/${r.name}`));
      const kept = (this.lastGood.get(path) ?? []).filter((r) => !current.has(`${r.kind}/${r.name}`)).map((r) => ({ ...r, stale: true }));
      resources = [...resources, ...kept];
    }
    return { mtimeMs: stat.mtimeMs, size: stat.size, resources, problems: loaded.problems };
  }

  private walk(problems: SourceProblem[]): FileEntry[] {
    let realRoot: string;
    try {
      realRoot = realpathSync(this.root);
    } catch {
      return [];
    }
    const out: FileEntry[] = [];
    const visit = (dir: string, depth: number) => {
      if (depth > 20) return;
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch {
        return;
      }
      for (const name of names) {
        if (isIgnoredName(name)) continue;
        const path = join(dir, name);
        let stat: Stats;
        let real: string;
        try {
          real = realpathSync(path);
          stat = statSync(real);
        } catch {
          continue; // vanished, or a dangling symlink
        }
        if (real !== realRoot && !real.startsWith(realRoot + sep)) {
          problems.push({ file: path, code: "MV_PATH_ESCAPE", message: `symlink to ${real}, outside the watched directory ${this.root}: ignored` });
          continue;
        }
        if (stat.isDirectory()) {
          if (real === realRoot || relative(realRoot, real).split(sep).length <= depth) continue; // a symlink back up the tree
          visit(path, depth + 1);
        } else if (stat.isFile() && /\.ya?ml$/i.test(name)) out.push({ path, stat });
      }
    };
    visit(this.root, 0);
    return out;
  }

  private emit(resources: SourcedResource[], problems: SourceProblem[]): void {
    const key = JSON.stringify([resources, problems]);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.state = { revision: this.state.revision + 1, resources, problems };
    this.onChange?.(this.state);
  }
}
