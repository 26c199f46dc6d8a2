/**
 * An HDF5 file from a user or a model container must be self-contained: no external link, no virtual dataset
 * and no dataset whose raw data lives in another file. Each would make the host read a file it was never given
 * (a .h5mu whose obs/_index is an external link was once registered with the other file's cells). Runs inside
 * the HDF5 worker, after file-jail.ts has confined opens to the file itself; the walk names the offending
 * object, the jail stops what the walk cannot see.
 */
import { hdf5Reason, isDataset, isGroup, type H5File, type H5Group } from "./h5wasm-runtime.js";
import type h5wasm from "h5wasm/node";
import { refusedOpens } from "./file-jail.js";
import { NotSelfContainedError } from "./h5-errors.js";

/** A hard-link cycle or a hostile fan-out must not keep the walk going forever. */
export const MAX_GROUP_DEPTH = 64;
export const MAX_OBJECTS = 200_000;

function childPath(group: string, name: string): string {
  return group === "/" ? `/${name}` : `${group}/${name}`;
}

function externalTarget(group: H5Group, path: string): { filename: string; obj_path: string } | undefined {
  const link = group.get_external_link(path) as { filename?: string; obj_path?: string } | undefined;
  return typeof link?.filename === "string" ? { filename: link.filename, obj_path: link.obj_path ?? "" } : undefined;
}

/** Read one element of a contiguous dataset: an external raw-data file shows up as a refused open. */
function usesExternalStorage(dataset: InstanceType<typeof h5wasm.Dataset>): string | undefined {
  const shape = dataset.shape;
  if (!shape || shape.some((n) => n === 0)) return undefined;
  const before = refusedOpens().length;
  try {
    dataset.slice(shape.map(() => [0, 1]));
  } catch {
    // an unreadable dtype is the reader's business; only a refused open matters here
  }
  return refusedOpens()[before];
}

/** Throws NotSelfContainedError naming the first external link, virtual dataset or externally stored dataset. */
export function assertSelfContained(lib: typeof h5wasm, file: H5File): void {
  const pending: { path: string; depth: number }[] = [{ path: "/", depth: 0 }];
  let seen = 0;
  while (pending.length > 0) {
    const { path: groupPath, depth } = pending.pop()!;
    const group = groupPath === "/" ? file : file.get(groupPath);
    if (!isGroup(lib, group)) continue;
    for (const name of group.keys()) {
      const path = childPath(groupPath, name);
      seen += 1;
      if (seen > MAX_OBJECTS) throw new NotSelfContainedError(path, `the file holds more than ${MAX_OBJECTS} objects; refusing to walk it`);
      const external = externalTarget(file, path);
      if (external) {
        throw new NotSelfContainedError(path, `${path} is an external link to ${external.filename}:${external.obj_path}; links to other files are refused (copy the data into this file)`);
      }
      // A soft link names a path inside this file, which the walk reaches through its hard links anyway.
      if (typeof file.get_link(path) === "string") continue;
      const entity = file.get(path);
      if (entity === null || entity instanceof lib.Datatype) continue;
      if (isGroup(lib, entity)) {
        if (depth + 1 > MAX_GROUP_DEPTH) throw new NotSelfContainedError(path, `${path} is nested more than ${MAX_GROUP_DEPTH} groups deep (a link cycle?); refusing to walk it`);
        pending.push({ path, depth: depth + 1 });
      } else if (isDataset(lib, entity)) {
        const sources = entity.metadata.virtual_sources;
        if (sources && sources.length > 0) {
          const first = sources[0]!;
          throw new NotSelfContainedError(path, `${path} is a virtual dataset mapping ${first.file_name}:${first.dset_name}${sources.length > 1 ? ` and ${sources.length - 1} more` : ""}; virtual datasets are refused (store the data itself)`);
        }
        if (entity.metadata.chunks === null) {
          const file = usesExternalStorage(entity);
          if (file) throw new NotSelfContainedError(path, `${path} keeps its data in the external file ${file}; external storage is refused (store the data in this file)`);
        }
      } else {
        throw new NotSelfContainedError(path, `${path} is a link of an unsupported kind; only hard and soft links inside the file are accepted`);
      }
    }
  }
}

/** The reason to report when a read failed after HDF5 tried to reach another file. */
export function refusedOpenReason(error: unknown): string | undefined {
  const refused = refusedOpens()[0];
  return refused ? `it refers to another file (${refused}), which is refused: ${hdf5Reason(error)}` : undefined;
}
