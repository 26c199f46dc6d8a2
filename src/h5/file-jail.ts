/**
 * Inside the HDF5 worker only: the file being read is the only file HDF5 may open. h5wasm reaches the host
 * filesystem through Node's `fs.openSync` (Emscripten NODERAWFS), so wrapping that one function keeps an
 * external link, a virtual dataset's source file or a dataset's external raw-data file (H5Pset_external) from
 * being read on the host, whatever else the structural checks in self-contained.ts miss. The main thread's
 * `fs` is a different module instance and is not touched.
 */
import { createRequire } from "node:module";
import { constants, realpathSync, statSync } from "node:fs";
import { resolve } from "node:path";

type OpenSync = typeof import("node:fs").openSync;
const fsModule = createRequire(import.meta.url)("node:fs") as { openSync: OpenSync };
const realOpenSync = fsModule.openSync;

let allowed = new Set<string>();
let refused: string[] = [];

/** A file created exclusively is new: nothing existing is read through it (HDF5's error handler uses tmpfile()). */
function createsNewFile(flags: unknown): boolean {
  const exclusive = constants.O_CREAT | constants.O_EXCL;
  return typeof flags === "number" && (flags & exclusive) === exclusive;
}

/**
 * Only existing files are refused: HDF5 probes its plugin directories at start-up (missing here, or a listing
 * that reads no file's content), and opening what does not exist reads nothing.
 */
function isExistingFile(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat !== undefined && !stat.isDirectory();
}

function jailedOpenSync(...args: Parameters<OpenSync>): number {
  const wanted = resolve(String(args[0]));
  if (!allowed.has(wanted) && !createsNewFile(args[1]) && isExistingFile(wanted)) {
    refused.push(wanted);
    const error = new Error(`EACCES: ${wanted} is not the file being read`) as NodeJS.ErrnoException;
    error.code = "EACCES";
    error.errno = -13;
    throw error;
  }
  return realOpenSync(...args);
}

let installed = false;
function install(): void {
  if (installed) return;
  fsModule.openSync = jailedOpenSync as OpenSync;
  installed = true;
}

/** From now on only `path` (and what its symlinks resolve to) can be opened; clears the refusals seen so far. */
export function confineTo(path: string): void {
  install();
  const absolute = resolve(path);
  allowed = new Set([absolute]);
  try {
    allowed.add(realpathSync(absolute));
  } catch {
    // a missing file is reported by the reader
  }
  refused = [];
}

/** Files HDF5 tried to open since confineTo, in order (other than the one being read). */
export function refusedOpens(): string[] {
  return [...refused];
}
