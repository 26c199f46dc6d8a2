/** What a .h5mu file holds (MuData/AnnData on-disk layout): modalities, cells, features, obs names and columns. */
import { existsSync, statSync } from "node:fs";
import { Errors } from "../domain/errors.js";
import { h5, hdf5Reason, isDataset, isGroup, type H5File, type H5Group } from "./h5wasm-runtime.js";

export interface H5muSummary {
  modalities: string[];
  nObs: number;
  nVars: Record<string, number>;
  obsNames: string[];
  obsColumns: string[];
}

export async function openReadOnly(path: string, what: string): Promise<H5File> {
  if (!existsSync(path)) throw Errors.fileNotFound(`${what} ${path} does not exist`, { location: { file: path } });
  if (!statSync(path).isFile()) throw Errors.badDataset(`${what} ${path} is not a regular file`, { location: { file: path } });
  const lib = await h5();
  try {
    return new lib.File(path, "r");
  } catch (error) {
    throw Errors.badDataset(`${what} ${path} cannot be opened as HDF5: ${hdf5Reason(error)}`, { location: { file: path } });
  }
}

function attrString(group: H5Group, name: string): string | undefined {
  const attr = group.attrs[name];
  if (!attr) return undefined;
  const value = attr.value;
  return typeof value === "string" ? value : undefined;
}

function stringArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v));
  if (typeof value === "string") return [value];
  return [];
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

async function matrixShape(file: H5File, path: string, source: string): Promise<number[]> {
  const lib = await h5();
  const node = file.get(path);
  if (isDataset(lib, node)) return node.shape ?? [];
  if (isGroup(lib, node)) {
    const shape = node.attrs.shape?.value;
    if (Array.isArray(shape) || ArrayBuffer.isView(shape)) return Array.from(shape as ArrayLike<number | bigint>, (v) => Number(v));
  }
  throw Errors.badDataset(`${source}: ${path} is missing or is neither a dense nor a sparse matrix`, { location: { file: source, field: path } });
}

export async function readH5muSummary(path: string): Promise<H5muSummary> {
  const lib = await h5();
  const file = await openReadOnly(path, "dataset");
  try {
    const mod = file.get("mod");
    if (!isGroup(lib, mod)) {
      throw Errors.badDataset(`${path} is HDF5 but not MuData: it has no /mod group (found: ${file.keys().join(", ") || "nothing"})`, {
        location: { file: path, field: "/mod" },
        details: ["write it with mudata (mdata.write('file.h5mu')); a single-modality dataset is a MuData with one modality"],
      });
    }
    const modalities = mod.keys().sort();
    if (modalities.length === 0) throw Errors.badDataset(`${path}: /mod has no modalities`, { location: { file: path, field: "/mod" } });
    const nVars: Record<string, number> = {};
    let firstObs: string[] | undefined;
    for (const name of modalities) {
      const shape = await matrixShape(file, `mod/${name}/X`, path);
      if (shape.length !== 2) throw Errors.badDataset(`${path}: mod/${name}/X is not 2-D (shape ${JSON.stringify(shape)})`, { location: { file: path } });
      nVars[name] = shape[1]!;
      if (!firstObs) firstObs = await dataframeIndex(file, `mod/${name}/obs`, path);
    }
    const obsNames = isGroup(lib, file.get("obs")) ? await dataframeIndex(file, "obs", path) : (firstObs ?? []);
    const obsColumns = (await dataframeColumns(file, "obs")).sort();
    return { modalities, nObs: obsNames.length, nVars, obsNames, obsColumns };
  } catch (error) {
    if (error instanceof Error && "code" in error) throw error;
    throw Errors.badDataset(`${path} cannot be read as MuData: ${hdf5Reason(error)}`, { location: { file: path } });
  } finally {
    file.close();
  }
}
