/**
 * Inside the HDF5 worker only, imported before h5wasm: what HDF5 and Emscripten print (HDF5-DIAG stacks on fd 2,
 * abort notices on the console) is kept in a small buffer instead of reaching the user's terminal. The reasons
 * reach the caller as error messages; the buffer's tail is added to a crash report.
 */
import { createRequire } from "node:module";

const KEEP = 2000;
let tail = "";

function keep(text: string): void {
  tail = (tail + text).slice(-KEEP);
}

type WriteSync = typeof import("node:fs").writeSync;
const fsModule = createRequire(import.meta.url)("node:fs") as { writeSync: WriteSync };
const realWriteSync = fsModule.writeSync;

function quietWriteSync(...args: Parameters<WriteSync>): number {
  const [fd, data] = args;
  if (fd !== 1 && fd !== 2) return realWriteSync(...args);
  if (typeof data === "string") {
    keep(data);
    return Buffer.byteLength(data);
  }
  const view = data as NodeJS.ArrayBufferView;
  const offset = typeof args[2] === "number" ? args[2] : 0;
  const length = typeof args[3] === "number" ? args[3] : view.byteLength - offset;
  keep(Buffer.from(view.buffer, view.byteOffset + offset, length).toString("utf8"));
  return length;
}

fsModule.writeSync = quietWriteSync as WriteSync;
for (const method of ["log", "info", "warn", "error", "debug"] as const) {
  console[method] = (...values: unknown[]) => keep(`${values.map(String).join(" ")}\n`);
}

/** The last line the worker would have printed, if any. */
export function lastPrintedLine(): string | undefined {
  return tail.trim().split("\n").slice(-1)[0] || undefined;
}
