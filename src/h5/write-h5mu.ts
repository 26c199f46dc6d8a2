/**
 * Writers for test and demo data: seeded synthetic MuData in the anndata/mudata on-disk layout (readable by
 * h5py, anndata and mudata), and embeddings files.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { h5, WRITE_OPTIONS, type H5Group } from "./h5wasm-runtime.js";

/** Bumped whenever the bytes written for the same spec change (demo datasets are rewritten then). */
export const H5MU_WRITER_VERSION = 2;

export interface SyntheticModality {
  nVars: number;
  kind?: "counts" | "normal";
  /** X as a CSR sparse matrix (encoding-type csr_matrix), as count data usually is stored. */
  sparse?: boolean;
}

export interface SyntheticDatasetSpec {
  nObs: number;
  modalities: Record<string, SyntheticModality>;
  seed: number;
  batches?: number;
  labels?: number;
  obsColumns?: ("batch" | "label")[];
}

/** mulberry32: a tiny seeded PRNG, so that the same spec always gives byte-identical data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function poisson(random: () => number, lambda: number): number {
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(random)));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k += 1;
    p *= random();
  } while (p > limit);
  return k - 1;
}

function dataframe(group: H5Group, index: string[], columns: Record<string, { categories: string[]; codes: Int8Array }> = {}): void {
  group.create_attribute("encoding-type", "dataframe");
  group.create_attribute("encoding-version", "0.2.0");
  group.create_attribute("_index", "_index");
  const names = Object.keys(columns);
  if (names.length > 0) group.create_attribute("column-order", names);
  else group.create_attribute("column-order", new Float64Array(0), [0], "<d");
  group.create_dataset({ name: "_index", data: index });
  for (const [name, column] of Object.entries(columns)) {
    const cat = group.create_group(name);
    cat.create_attribute("encoding-type", "categorical");
    cat.create_attribute("encoding-version", "0.2.0");
    cat.create_attribute("ordered", new Uint8Array([0]), [], "|b");
    cat.create_dataset({ name: "categories", data: column.categories });
    cat.create_dataset({ name: "codes", data: column.codes, dtype: "<b" });
  }
}

function emptyGroups(parent: H5Group, names: string[]): void {
  for (const name of names) {
    const g = parent.create_group(name);
    g.create_attribute("encoding-type", "dict");
    g.create_attribute("encoding-version", "0.1.0");
  }
}

export async function writeH5mu(path: string, spec: SyntheticDatasetSpec): Promise<void> {
  const lib = await h5();
  const random = prng(spec.seed);
  const nLabels = spec.labels ?? 4;
  const nBatches = spec.batches ?? 2;
  const obsNames = Array.from({ length: spec.nObs }, (_, i) => `cell-${String(i).padStart(5, "0")}`);
  const labelCodes = Int8Array.from({ length: spec.nObs }, (_, i) => i % nLabels);
  const batchCodes = Int8Array.from({ length: spec.nObs }, () => Math.floor(random() * nBatches));
  const wanted = spec.obsColumns ?? ["batch", "label"];
  const columns: Record<string, { categories: string[]; codes: Int8Array }> = {};
  if (wanted.includes("batch")) columns.batch = { categories: Array.from({ length: nBatches }, (_, i) => `batch${i}`), codes: batchCodes };
  if (wanted.includes("label")) columns.label = { categories: Array.from({ length: nLabels }, (_, i) => `celltype${i}`), codes: labelCodes };

  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const framed = `${path}.${process.pid}.ub.tmp`;
  rmSync(tmp, { force: true });
  const startedAt = nowSeconds();
  const file = new lib.File(tmp, "w", WRITE_OPTIONS);
  try {
    file.create_attribute("encoding-type", "MuData");
    file.create_attribute("encoding-version", "0.1.0");
    dataframe(file.create_group("obs"), obsNames, columns);
    const mod = file.create_group("mod");
    const allVars: string[] = [];
    for (const [name, modality] of Object.entries(spec.modalities)) {
      const centres = Array.from({ length: nLabels }, () => Array.from({ length: modality.nVars }, () => gaussian(random) * 1.5));
      const batchShift = Array.from({ length: nBatches }, () => Array.from({ length: modality.nVars }, () => gaussian(random) * 0.3));
      const X = new Float32Array(spec.nObs * modality.nVars);
      for (let cell = 0; cell < spec.nObs; cell += 1) {
        const label = labelCodes[cell]!;
        const batch = batchCodes[cell]!;
        for (let v = 0; v < modality.nVars; v += 1) {
          const mean = centres[label]![v]! + batchShift[batch]![v]!;
          X[cell * modality.nVars + v] = modality.kind === "normal" ? mean + gaussian(random) * 0.5 : poisson(random, Math.exp(mean / 2));
        }
      }
      const group = mod.create_group(name);
      group.create_attribute("encoding-type", "anndata");
      group.create_attribute("encoding-version", "0.1.0");
      if (modality.sparse) writeCsr(group, X, spec.nObs, modality.nVars);
      else group.create_dataset({ name: "X", data: X, shape: [spec.nObs, modality.nVars], dtype: "<f4" });
      const varNames = Array.from({ length: modality.nVars }, (_, i) => `${name}-${String(i).padStart(4, "0")}`);
      allVars.push(...varNames);
      dataframe(group.create_group("obs"), obsNames);
      dataframe(group.create_group("var"), varNames);
      emptyGroups(group, ["obsm", "varm", "obsp", "varp", "layers", "uns"]);
    }
    dataframe(file.create_group("var"), allVars);
    emptyGroups(file, ["obsm", "varm", "obsp", "varp", "uns", "obsmap", "varmap"]);
  } finally {
    file.close();
  }
  try {
    withMuDataUserblock(tmp, framed, startedAt);
    renameSync(framed, path);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(framed, { force: true });
  }
}

/**
 * mudata marks its files with a 512-byte HDF5 userblock starting "MuData (format-version=...)" and warns when it
 * is absent. h5wasm cannot reserve one, but HDF5 finds a superblock at offset 512 and rebases addresses on it,
 * so the header is simply put in front of the file.
 */
function withMuDataUserblock(source: string, target: string, startedAt: number): void {
  const userblock = Buffer.alloc(512);
  userblock.write("MuData (format-version=0.1.0;creator=multiverse;creator-version=0.1.0)", "latin1");
  const fd = openSync(target, "w");
  try {
    writeSync(fd, userblock);
    writeSync(fd, clearObjectTimes(readFileSync(source), startedAt, nowSeconds()));
  } finally {
    closeSync(fd);
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Object modification time message (v1 object header): type 0x12, size 8, flags, 3 reserved, version 1, 3 reserved. */
const MTIME_MESSAGE = [0x12, 0x00, 0x08, 0x00, -1, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00];

/**
 * HDF5 stamps every dataset's object header with the second it was written, and h5wasm offers no way to turn
 * that off (H5Pset_obj_track_times). The stamps are zeroed so that the same spec always gives the same bytes,
 * and so the same dataset fingerprint. Only messages whose time falls within the write are touched.
 */
export function clearObjectTimes(bytes: Buffer, fromSeconds: number, toSeconds: number): Buffer {
  const last = bytes.length - MTIME_MESSAGE.length - 4;
  for (let i = 0; i <= last; i += 1) {
    if (bytes[i] !== 0x12) continue;
    if (!MTIME_MESSAGE.every((b, k) => b < 0 || bytes[i + k] === b)) continue;
    const at = i + MTIME_MESSAGE.length;
    const seconds = bytes.readUInt32LE(at);
    if (seconds >= fromSeconds - 1 && seconds <= toSeconds + 1) bytes.writeUInt32LE(0, at);
  }
  return bytes;
}

function writeCsr(group: H5Group, dense: Float32Array, rows: number, cols: number): void {
  const data: number[] = [];
  const indices: number[] = [];
  const indptr = new BigInt64Array(rows + 1);
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < cols; c += 1) {
      const value = dense[r * cols + c]!;
      if (value !== 0) {
        data.push(value);
        indices.push(c);
      }
    }
    indptr[r + 1] = BigInt(data.length);
  }
  const x = group.create_group("X");
  x.create_attribute("encoding-type", "csr_matrix");
  x.create_attribute("encoding-version", "0.1.0");
  x.create_attribute("shape", new BigInt64Array([BigInt(rows), BigInt(cols)]), [2], "<q");
  x.create_dataset({ name: "data", data: Float32Array.from(data), shape: [data.length], dtype: "<f4" });
  x.create_dataset({ name: "indices", data: Int32Array.from(indices), shape: [indices.length], dtype: "<i" });
  x.create_dataset({ name: "indptr", data: indptr, shape: [rows + 1], dtype: "<q" });
}

export interface WriteLatentOptions {
  fill?: (r: number, c: number) => number;
  /** Dataset name (default "latent"). */
  name?: string;
  /** More top-level datasets beside it. */
  extra?: string[];
  /** Store a different shape than rows x cols for the same values (e.g. [rows * cols] for a 1-D latent). */
  shape?: number[];
  /** Store the values as text, to exercise the non-numeric check. */
  asText?: boolean;
}

/** An embeddings file like a model container writes (float32 rows x cols), for tests. */
export async function writeLatent(path: string, rows: number, cols: number, options: WriteLatentOptions = {}): Promise<void> {
  const lib = await h5();
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r += 1) for (let c = 0; c < cols; c += 1) values[r * cols + c] = options.fill ? options.fill(r, c) : r + c / 10;
  const shape = options.shape ?? (rows === 0 && cols === 0 ? [0] : [rows, cols]);
  const name = options.name ?? "latent";
  const startedAt = nowSeconds();
  const file = new lib.File(path, "w", WRITE_OPTIONS);
  try {
    if (options.asText) file.create_dataset({ name, data: Array.from(values, (v) => String(v)), shape });
    else file.create_dataset({ name, data: values, shape, dtype: "<f4" });
    for (const extra of options.extra ?? []) file.create_dataset({ name: extra, data: new Float32Array([1]), shape: [1], dtype: "<f4" });
  } finally {
    file.close();
  }
  writeFileSync(path, clearObjectTimes(readFileSync(path), startedAt, nowSeconds()));
}
