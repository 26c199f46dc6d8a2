/** Inspect an embeddings.h5: top-level names, shape and dtype of `latent`, and (when asked) finiteness. */
import { h5, hdf5Reason, isDataset } from "./h5wasm-runtime.js";
import { existsSync } from "node:fs";

export interface LatentSummary {
  /** Top-level dataset names. */
  datasets: string[];
  /** Top-level group names (a latent must not hide in a group). */
  groups: string[];
  shape: number[] | null;
  dtype: string | null;
  /** Count of NaN/Inf values when checked, else null. */
  nonFinite: number | null;
}

export class CorruptHdf5Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CorruptHdf5Error";
  }
}

const ROW_BLOCK_VALUES = 4 * 1024 * 1024;

export async function readLatent(path: string, options: { checkFinite: boolean; name?: string }): Promise<LatentSummary> {
  const lib = await h5();
  if (!existsSync(path)) throw new CorruptHdf5Error(`${path} does not exist`);
  let file;
  try {
    file = new lib.File(path, "r");
  } catch (error) {
    throw new CorruptHdf5Error(hdf5Reason(error));
  }
  try {
    const datasets: string[] = [];
    const groups: string[] = [];
    for (const key of file.keys()) {
      const entity = file.get(key);
      if (isDataset(lib, entity)) datasets.push(key);
      else groups.push(key);
    }
    const name = options.name ?? "latent";
    const latent = file.get(name);
    if (!isDataset(lib, latent)) return { datasets, groups, shape: null, dtype: null, nonFinite: null };
    const shape = latent.shape ?? [];
    const dtype = String(latent.dtype);
    let nonFinite: number | null = null;
    if (options.checkFinite && shape.length === 2 && /f/.test(dtype)) {
      nonFinite = 0;
      const [rows, cols] = shape as [number, number];
      const block = Math.max(1, Math.floor(ROW_BLOCK_VALUES / Math.max(1, cols)));
      for (let start = 0; start < rows; start += block) {
        const values = latent.slice([[start, Math.min(rows, start + block)], []]) as ArrayLike<number>;
        for (let i = 0; i < values.length; i += 1) if (!Number.isFinite(values[i]!)) nonFinite += 1;
      }
    } else if (options.checkFinite) {
      nonFinite = 0; // integer matrices are always finite
    }
    return { datasets, groups, shape, dtype, nonFinite };
  } catch (error) {
    if (error instanceof CorruptHdf5Error) throw error;
    throw new CorruptHdf5Error(hdf5Reason(error));
  } finally {
    file.close();
  }
}
