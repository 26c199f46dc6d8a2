/**
 * The one place that loads h5wasm (HDF5 compiled to WebAssembly, with the host filesystem in Node).
 * HDF5's diagnostic stack is turned into exceptions instead of being printed on stderr.
 */
import h5wasm from "h5wasm/node";

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Group = InstanceType<typeof h5wasm.Group>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;
export type H5Entity = ReturnType<H5Group["get"]>;

let initialised: Promise<typeof h5wasm> | undefined;

export function h5(): Promise<typeof h5wasm> {
  initialised ??= h5wasm.ready.then((module) => {
    module.activate_throwing_error_handler();
    return h5wasm;
  });
  return initialised;
}

/** The most specific reason in an HDF5 error stack, e.g. "Not an HDF5 file". */
export function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const minors = [...text.matchAll(/minor: ([^\n]+)/g)].map((m) => m[1]!.trim());
  const last = minors[minors.length - 1];
  if (last) return last;
  if (/Aborted\(|memory access out of bounds|unreachable/.test(text)) return "the HDF5 reader hit damaged internal structures";
  return text.split("\n")[0]?.slice(0, 200) ?? "unknown HDF5 error";
}

/** Closing a file whose structures are damaged can throw too; that must not hide the first error. */
export function closeQuietly(file: H5File): void {
  try {
    file.close();
  } catch {
    // the handle is gone with the worker that opened it
  }
}

export function isGroup(lib: typeof h5wasm, entity: H5Entity): entity is H5Group {
  return entity instanceof lib.Group;
}

export function isDataset(lib: typeof h5wasm, entity: H5Entity): entity is H5Dataset {
  return entity instanceof lib.Dataset;
}

/** h5wasm dtypes are struct-style: "<f" float32, "<d" float64, "<i" int32, "<q" int64, "<b" int8 (a trailing size is ignored). */
/** Library versions that h5py builds on HDF5 1.10 can read (and superblock v0, which a userblock can precede). */
export const WRITE_OPTIONS = { libver: ["earliest", "v110"] as ["earliest", "v110"] };
