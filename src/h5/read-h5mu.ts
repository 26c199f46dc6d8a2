/**
 * What a .h5mu file holds (MuData/AnnData on-disk layout): modalities, cells, features, obs names and columns.
 * This runs inside the HDF5 worker (see isolated.ts); the rest of the code calls readH5muSummary from index.ts.
 */
import { existsSync, statSync } from "node:fs";
import { Errors, isMultiverseError } from "../domain/errors.js";
import { closeQuietly, h5, hdf5Reason, isDataset, isGroup, type H5File, type H5Group } from "./h5wasm-runtime.js";

export interface H5muSummary {
  modalities: string[];
  nObs: number;
  nVars: Record<string, number>;
  obsNames: string[];
  obsColumns: string[];
}

async function openReadOnly(path: string): Promise<H5File> {
  if (!existsSync(path)) throw Errors.fileNotFound(`dataset ${path} does not exist`, { location: { file: path } });
  if (!statSync(path).isFile()) throw Errors.badDataset(`dataset ${path} is not a regular file`, { location: { file: path } });
  const lib = await h5();
  try {
    return new lib.File(path, "r");
  } catch (error) {
    throw Errors.badDataset(`dataset ${path} cannot be opened as HDF5: ${hdf5Reason(error)}`, { location: { file: path } });
  }
}

function attrString(group: H5Group, name: string): string | undefined {
  const value = group.attrs[name]?.value;
  return typeof value === "string" ? value : undefined;
}

function stringArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v));
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => String(v));
  if (typeof value === "string") return [value];
  return [];
}

function numberArray(value: unknown): number[] | undefined {
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<number | bigint>, (v) => Number(v));
  return undefined;
}

async function dataframeIndex(file: H5File, path: string, source: string): Promise<string[]> {
  const lib = await h5();
  const group = file.get(path);
  if (!isGroup(lib, group)) throw Errors.badDataset(`${source}: ${path} is missing or not a group`, { location: { file: source, field: path } });
  const indexName = attrString(group, "_index") ?? "_index";
  const index = group.get(indexName);
  if (!isDataset(lib, index)) throw Errors.badDataset(`${source}: ${path}/${indexName} (the index) is missing`, { location: { file: source, field: `${path}/${indexName}` } });
  return stringArray(index.value);
}

async function dataframeColumns(file: H5File, path: string): Promise<string[]> {
  const lib = await h5();
  const group = file.get(path);
  if (!isGroup(lib, group)) return [];
  const indexName = attrString(group, "_index") ?? "_index";
  return group.keys().filter((k) => k !== indexName && k !== "__categories");
}

/** Dense X: the dataset's shape. Sparse X (csr/csc group): its `shape` attribute, else obs x var index lengths. */
async function matrixShape(file: H5File, modality: string, source: string): Promise<number[]> {
  const lib = await h5();
  const path = `mod/${modality}/X`;
  const node = file.get(path);
  if (isDataset(lib, node)) return node.shape ?? [];
  if (isGroup(lib, node)) {
    const shape = numberArray(node.attrs.shape?.value);
    if (shape) return shape;
    const obs = await dataframeIndex(file, `mod/${modality}/obs`, source);
    const vars = await dataframeIndex(file, `mod/${modality}/var`, source);
    return [obs.length, vars.length];
  }
  throw Errors.badDataset(`${source}: ${path} is missing or is neither a dense nor a sparse matrix`, { location: { file: source, field: path } });
}

function notMuData(file: H5File, path: string): Error {
  const encoding = attrString(file, "encoding-type");
  const found = file.keys().join(", ") || "nothing";
  const details =
    encoding === "anndata"
      ? ["this is an AnnData (.h5ad) file: wrap it, e.g. mudata.MuData({'rna': adata}).write('file.h5mu')"]
      : ["write it with mudata (mdata.write('file.h5mu')); a single-modality dataset is a MuData with one modality"];
  return Errors.badDataset(`${path} is HDF5 but not MuData: it has no /mod group (found: ${found})`, { location: { file: path, field: "/mod" }, details });
}

export async function readH5muSummaryInThread(path: string): Promise<H5muSummary> {
  const lib = await h5();
  const file = await openReadOnly(path);
  try {
    const mod = file.get("mod");
    if (!isGroup(lib, mod)) throw notMuData(file, path);
    const modalities = mod.keys().sort();
    if (modalities.length === 0) throw Errors.badDataset(`${path}: /mod has no modalities`, { location: { file: path, field: "/mod" } });
    const nVars: Record<string, number> = {};
    let firstObs: string[] | undefined;
    for (const name of modalities) {
      const shape = await matrixShape(file, name, path);
      if (shape.length !== 2) throw Errors.badDataset(`${path}: mod/${name}/X is not 2-D (shape [${shape.join(", ")}])`, { location: { file: path, field: `mod/${name}/X` } });
      nVars[name] = shape[1]!;
      firstObs ??= await dataframeIndex(file, `mod/${name}/obs`, path);
    }
    const obsNames = isGroup(lib, file.get("obs")) ? await dataframeIndex(file, "obs", path) : (firstObs ?? []);
    const obsColumns = (await dataframeColumns(file, "obs")).sort();
    return { modalities, nObs: obsNames.length, nVars, obsNames, obsColumns };
  } catch (error) {
    if (isMultiverseError(error)) throw error;
    throw Errors.badDataset(`${path} cannot be read as MuData: ${hdf5Reason(error)}`, { location: { file: path } });
  } finally {
    closeQuietly(file);
  }
}
