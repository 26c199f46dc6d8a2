/**
 * What a .h5mu file holds (MuData/AnnData on-disk layout): modalities, cells, features, obs names and columns,
 * checked for what a model container relies on: at least one cell and one feature, every modality's X shaped
 * like its obs and var, every modality holding the same cells as /obs, unique names, numeric X, and nothing
 * read from another file. This runs inside the HDF5 worker (see isolated.ts); the rest of the code calls
 * readH5muSummary from index.ts.
 */
import { existsSync, statSync } from "node:fs";
import { Errors, isMultiverseError } from "../domain/errors.js";
import { closeQuietly, h5, hdf5Reason, isDataset, isGroup, type H5Dataset, type H5File, type H5Group } from "./h5wasm-runtime.js";
import { dtypeName, isNumericDtype, NotSelfContainedError } from "./h5-errors.js";
import { assertSelfContained, refusedOpenReason } from "./self-contained.js";

export interface H5muSummary {
  modalities: string[];
  nObs: number;
  nVars: Record<string, number>;
  obsNames: string[];
  obsColumns: string[];
}

/** Far beyond any single-cell atlas; a larger declared shape is a damaged or hostile file. */
export const MAX_CELLS = 100_000_000;
export const MAX_FEATURES = 10_000_000;

type Lib = Awaited<ReturnType<typeof h5>>;

function bad(file: string, field: string, message: string, details: string[] = []): Error {
  return Errors.badDataset(`${file}: ${message}`, { location: { file, field }, details });
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

function indexDataset(lib: Lib, file: H5File, path: string, source: string): H5Dataset {
  const group = file.get(path);
  if (!isGroup(lib, group)) throw bad(source, path, `${path} is missing or not a group`);
  const indexName = attrString(group, "_index") ?? "_index";
  const index = group.get(indexName);
  if (!isDataset(lib, index)) throw bad(source, `${path}/${indexName}`, `${path}/${indexName} (the index) is missing`);
  return index;
}

function dataframeIndex(lib: Lib, file: H5File, path: string, source: string): string[] {
  const index = indexDataset(lib, file, path, source);
  const shape = index.shape ?? [];
  if (shape.length !== 1) throw bad(source, index.path, `${index.path} (the index of ${path}) must be 1-D, got shape [${shape.join(", ")}]`);
  const limit = path.endsWith("var") ? MAX_FEATURES : MAX_CELLS;
  if (shape[0]! > limit) throw bad(source, index.path, `${index.path} declares ${shape[0]} entries, more than the ${limit} accepted`);
  return stringArray(index.value);
}

function dataframeColumns(lib: Lib, file: H5File, path: string): string[] {
  const group = file.get(path);
  if (!isGroup(lib, group)) return [];
  const indexName = attrString(group, "_index") ?? "_index";
  return group.keys().filter((k) => k !== indexName && k !== "__categories");
}

function firstDuplicate(names: string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

function requireNumeric(dataset: H5Dataset, source: string, what: string): void {
  const dtype = dtypeName(dataset.dtype);
  if (!isNumericDtype(dtype)) throw bad(source, dataset.path, `${what} must hold numbers, got dtype ${dtype}`);
}

function lengthOf(lib: Lib, group: H5Group, name: string, source: string): number {
  const node = group.get(name);
  if (!isDataset(lib, node)) throw bad(source, `${group.path}/${name}`, `${group.path}/${name} is missing (a sparse matrix needs data, indices and indptr)`);
  const shape = node.shape ?? [];
  if (shape.length !== 1) throw bad(source, node.path, `${node.path} must be 1-D, got shape [${shape.join(", ")}]`);
  return shape[0]!;
}

/**
 * Dense X: the dataset's shape and dtype. Sparse X (csr/csc group): its `shape` attribute (else the obs x var
 * index lengths), checked against its arrays.
 */
function matrixShape(lib: Lib, file: H5File, modality: string, source: string, fallback: () => number[]): number[] {
  const path = `mod/${modality}/X`;
  const node = file.get(path);
  if (isDataset(lib, node)) {
    requireNumeric(node, source, path);
    return node.shape ?? [];
  }
  if (!isGroup(lib, node)) throw bad(source, path, `${path} is missing or is neither a dense nor a sparse matrix`);
  const encoding = attrString(node, "encoding-type");
  if (encoding !== "csr_matrix" && encoding !== "csc_matrix") throw bad(source, path, `${path} is a group with encoding-type ${JSON.stringify(encoding ?? null)}; expected csr_matrix or csc_matrix`);
  const declared = node.attrs.shape === undefined ? undefined : numberArray(node.attrs.shape.value);
  if (node.attrs.shape !== undefined && (!declared || declared.length !== 2 || declared.some((n) => !Number.isSafeInteger(n) || n < 0))) {
    throw bad(source, `${path}.shape`, `${path} has a shape attribute that is not two non-negative integers`);
  }
  const shape = declared ?? fallback();
  checkDeclaredShape(path, shape, source);
  const data = node.get("data");
  if (isDataset(lib, data)) requireNumeric(data, source, `${path}/data`);
  const nnz = lengthOf(lib, node, "data", source);
  const indices = lengthOf(lib, node, "indices", source);
  const indptr = lengthOf(lib, node, "indptr", source);
  const major = encoding === "csr_matrix" ? shape[0]! : shape[1]!;
  if (indices !== nnz) throw bad(source, `${path}/indices`, `${path}/indices has ${indices} entries but ${path}/data has ${nnz}`);
  if (indptr !== major + 1) throw bad(source, `${path}/indptr`, `${path}/indptr has ${indptr} entries; a ${encoding} of shape [${shape.join(", ")}] needs ${major + 1}`);
  return shape;
}

function checkDeclaredShape(path: string, shape: number[], source: string): void {
  const [rows = 0, cols = 0] = shape;
  if (rows > MAX_CELLS || cols > MAX_FEATURES) throw bad(source, path, `${path} declares shape [${shape.join(", ")}], beyond the ${MAX_CELLS} cells x ${MAX_FEATURES} features accepted`);
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

function sameNames(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return i;
  return -1;
}

function checkModality(lib: Lib, file: H5File, name: string, source: string): { nVars: number; obs: string[] } {
  const xPath = `mod/${name}/X`;
  let obs: string[] | undefined;
  let vars: string[] | undefined;
  const readObs = () => (obs ??= dataframeIndex(lib, file, `mod/${name}/obs`, source));
  const readVars = () => (vars ??= dataframeIndex(lib, file, `mod/${name}/var`, source));
  const shape = matrixShape(lib, file, name, source, () => [readObs().length, readVars().length]);
  if (shape.length !== 2) throw bad(source, xPath, `${xPath} is not 2-D (shape [${shape.join(", ")}])`);
  checkDeclaredShape(xPath, shape, source);
  const [rows, cols] = shape as [number, number];
  return checkAgainstIndexes(name, xPath, rows, cols, readObs(), readVars(), source);
}

function checkAgainstIndexes(name: string, xPath: string, rows: number, cols: number, obs: string[], vars: string[], source: string): { nVars: number; obs: string[] } {
  if (rows !== obs.length) throw bad(source, xPath, `${xPath} has ${rows} rows but mod/${name}/obs has ${obs.length} cells`);
  if (cols !== vars.length) throw bad(source, xPath, `${xPath} has ${cols} columns but mod/${name}/var has ${vars.length} features`);
  if (cols === 0) throw bad(source, xPath, `modality ${name} has no features (X has 0 columns)`);
  const duplicateVar = firstDuplicate(vars);
  if (duplicateVar !== undefined) throw bad(source, `mod/${name}/var`, `mod/${name}/var names feature ${JSON.stringify(duplicateVar)} more than once; feature names must be unique (var_names_make_unique())`);
  return { nVars: cols, obs };
}

export async function readH5muSummaryInThread(path: string): Promise<H5muSummary> {
  const lib = await h5();
  const file = await openReadOnly(path);
  try {
    assertSelfContained(lib, file);
    const mod = file.get("mod");
    if (!isGroup(lib, mod)) throw notMuData(file, path);
    const modalities = mod.keys().sort();
    if (modalities.length === 0) throw bad(path, "/mod", "/mod has no modalities");
    const nVars: Record<string, number> = {};
    const modalityObs = new Map<string, string[]>();
    for (const name of modalities) {
      const checked = checkModality(lib, file, name, path);
      nVars[name] = checked.nVars;
      modalityObs.set(name, checked.obs);
    }
    const hasGlobalObs = isGroup(lib, file.get("obs"));
    const obsNames = hasGlobalObs ? dataframeIndex(lib, file, "obs", path) : modalityObs.get(modalities[0]!)!;
    const obsSource = hasGlobalObs ? "/obs" : `mod/${modalities[0]}/obs`;
    if (obsNames.length === 0) throw bad(path, obsSource, `the dataset has no cells (${obsSource} is empty)`);
    const duplicate = firstDuplicate(obsNames);
    if (duplicate !== undefined) throw bad(path, obsSource, `${obsSource} names cell ${JSON.stringify(duplicate)} more than once; cell names must be unique (obs_names_make_unique())`);
    for (const [name, obs] of modalityObs) {
      if (obs.length !== obsNames.length) {
        throw bad(path, `mod/${name}/obs`, `mod/${name}/obs has ${obs.length} cells but ${obsSource} has ${obsNames.length}; every modality must hold the same cells`, [
          "models read all modalities row by row; subset them to the shared cells first (mudata.pp.intersect_obs)",
        ]);
      }
      const differs = sameNames(obs, obsNames);
      if (differs >= 0) throw bad(path, `mod/${name}/obs`, `mod/${name}/obs row ${differs} is cell ${JSON.stringify(obs[differs])} but ${obsSource} row ${differs} is ${JSON.stringify(obsNames[differs])}; every modality must hold the same cells in the same order`);
    }
    const obsColumns = dataframeColumns(lib, file, "obs").sort();
    return { modalities, nObs: obsNames.length, nVars, obsNames, obsColumns };
  } catch (error) {
    if (isMultiverseError(error)) throw error;
    if (error instanceof NotSelfContainedError) throw bad(path, error.objectPath, error.message);
    const refused = refusedOpenReason(error);
    throw Errors.badDataset(`${path} cannot be read as MuData: ${refused ?? hdf5Reason(error)}`, { location: { file: path } });
  } finally {
    closeQuietly(file);
  }
}
