/**
 * `multiverse apply -f FILE` and `multiverse delete -f FILE | benchmark NAME`, kubectl-style: desired state is
 * the watched directory, so apply validates the file and writes it there atomically (the source sees whole
 * files only), and delete removes the files that declare the named resources. The controller converges.
 */
import { existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { RunIndex, indexPath } from "../../index/run-index.js";
import { loadResourceFile } from "../../sources/load-documents.js";
import type { SourcedResource } from "../../sources/resource-source.js";
import { readControllerInfo } from "../../services/controller-service.js";
import { json, type Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { writeControllerRequest } from "../../services/controller-info.js";

export interface ApplyOptions extends StateRootOptions {
  filename: string;
  watch?: string;
  wait?: boolean;
  timeoutSeconds?: number;
  json?: boolean;
}

function watchDirOf(options: StateRootOptions & { watch?: string }): string {
  if (options.watch) return resolve(options.watch);
  const stateRoot = resolveStateRoot(options);
  const info = readControllerInfo(stateRoot);
  if (!info?.watchDir) {
    throw Errors.usage(`no controller is running on state root ${stateRoot}, so its watched directory is unknown`, {
      details: ["start one with: multiverse controller --watch DIR --state-root ROOT", "or name the directory with --watch DIR"],
    });
  }
  return info.watchDir;
}

function readResources(file: string): SourcedResource[] {
  if (!existsSync(file) || !statSync(file).isFile()) throw Errors.fileNotFound(`${file} does not exist or is not a file`, { location: { file } });
  const loaded = loadResourceFile(file);
  if (loaded.problems.length > 0) {
    const [first] = loaded.problems;
    throw Errors.schema(`${file} has ${loaded.problems.length} problem${loaded.problems.length > 1 ? "s" : ""}; nothing was applied`, {
      location: { file, line: first?.line, column: first?.column, field: first?.field },
      details: loaded.problems.map((p) => `${p.file}${p.line ? `:${p.line}` : ""}${p.column ? `:${p.column}` : ""}: ${p.field ? `${p.field}: ` : ""}${p.message} [${p.code}]`),
    });
  }
  if (loaded.resources.length === 0) throw Errors.schema(`${file} declares no resources`, { location: { file } });
  return loaded.resources;
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(path));
    else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Resources of a file in the watched directory; a file that does not parse declares nothing we can match. */
function declaredBy(file: string): SourcedResource[] {
  try {
    return loadResourceFile(file).resources;
  } catch {
    return [];
  }
}

const key = (r: { kind: string; name: string }) => `${r.kind}/${r.name}`;

export async function applyCommand(options: ApplyOptions, io: Io): Promise<number> {
  const source = resolve(options.filename);
  const resources = readResources(source);
  const dir = watchDirOf(options);
  const target = join(dir, basename(source));
  const wanted = new Set(resources.map(key));
  for (const file of yamlFiles(dir)) {
    if (file === target) continue;
    const clash = declaredBy(file).find((r) => wanted.has(key(r)));
    if (clash) {
      throw Errors.duplicate(`${key(clash)} is already declared by ${file}:${clash.line}; apply that file instead, or delete it first`, { location: { file: source, line: resources.find((r) => key(r) === key(clash))?.line, column: 1, field: "metadata.name" } });
    }
  }
  const before = existsSync(target) ? new Map(declaredBy(target).map((r) => [key(r), r.specHash])) : new Map<string, string>();
  const text = readFileSync(source, "utf8");
  if (source !== target) {
    const temporary = join(dir, `.${basename(source)}.${process.pid}.tmp`);
    writeFileSync(temporary, text);
    renameSync(temporary, target);
  }
  const results = resources.map((r) => ({
    kind: r.kind,
    name: r.name,
    action: !before.has(key(r)) ? "created" : before.get(key(r)) === r.specHash ? "unchanged" : "configured",
  }));
  if (options.wait) await waitForObserved(options, resources.filter((r) => r.kind === "Benchmark"), options.timeoutSeconds ?? 60);
  if (options.json) io.out(json({ file: target, resources: results }));
  else for (const r of results) io.out(`${r.kind.toLowerCase()}/${r.name} ${r.action}`);
  return EXIT_OK;
}

/** Until the controller has observed each Benchmark's spec (its generation with this spec hash). */
async function waitForObserved(options: StateRootOptions, benchmarks: SourcedResource[], timeoutSeconds: number): Promise<void> {
  const stateRoot = resolveStateRoot(options);
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    let pending = benchmarks.map((b) => b.name);
    if (existsSync(indexPath(stateRoot))) {
      const index = RunIndex.openReadOnly(indexPath(stateRoot));
      try {
        pending = benchmarks
          .filter((b) => {
            const row = index.getBenchmark(b.name);
            return !row || row.deleted || row.specHash !== b.specHash || row.observedGeneration !== row.generation;
          })
          .map((b) => b.name);
      } finally {
        index.close();
      }
    }
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw Errors.timeout(`the controller has not observed ${pending.join(", ")} after ${timeoutSeconds}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface DeleteOptions extends StateRootOptions {
  filename?: string;
  watch?: string;
  json?: boolean;
}

export function deleteCommand(kind: string | undefined, name: string | undefined, options: DeleteOptions, io: Io): number {
  let wanted: Set<string>;
  if (options.filename) wanted = new Set(readResources(resolve(options.filename)).map(key));
  else if (kind && name) {
    const kinds: Record<string, string> = { benchmark: "Benchmark", benchmarks: "Benchmark", dataset: "Dataset", datasets: "Dataset", model: "Model", models: "Model" };
    const canonical = kinds[kind.toLowerCase()];
    if (!canonical) throw Errors.usage(`unknown kind "${kind}": expected benchmark, dataset or model`);
    wanted = new Set([`${canonical}/${name}`]);
  } else throw Errors.usage("name what to delete: -f FILE, or KIND NAME (e.g. delete benchmark demo)");
  const dir = watchDirOf(options);
  const removed: string[] = [];
  const found = new Set<string>();
  for (const file of yamlFiles(dir)) {
    const declared = declaredBy(file);
    const matching = declared.filter((r) => wanted.has(key(r)));
    if (matching.length === 0) continue;
    if (matching.length !== declared.length) {
      const others = declared.filter((r) => !wanted.has(key(r))).map(key);
      throw Errors.usage(`${file} also declares ${others.join(", ")}; edit it instead of deleting it`, { location: { file } });
    }
    for (const r of matching) found.add(key(r));
    unlinkSync(file);
    removed.push(file);
  }
  // Deleted on purpose: the controller cancels at once instead of waiting out the grace for files that vanish.
  const stateRoot = resolveStateRoot(options);
  for (const k of found) if (k.startsWith("Benchmark/")) writeControllerRequest(stateRoot, { kind: "delete", name: k.slice("Benchmark/".length), requestedAt: new Date().toISOString() });
  const missing = [...wanted].filter((k) => !found.has(k));
  if (options.json) io.out(json({ removed, deleted: [...found], notFound: missing }));
  else {
    for (const k of found) io.out(`${k.toLowerCase()} deleted`);
    for (const k of missing) io.err(`${k.toLowerCase()} not found in ${dir}`);
  }
  if (found.size === 0) throw Errors.notFound(`nothing to delete: ${[...wanted].join(", ")} not declared in ${dir}`);
  return EXIT_OK;
}
