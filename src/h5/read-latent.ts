/**
 * Inspect an embeddings.h5: top-level names, shape and dtype of `latent`, and (when asked) finiteness.
 * This runs inside the HDF5 worker (see isolated.ts); the rest of the code calls readLatent from index.ts.
 */
import { existsSync } from "node:fs";
import { closeQuietly, h5, hdf5Reason, isDataset, type H5File } from "./h5wasm-runtime.js";
import { assertSelfContained, refusedOpenReason } from "./self-contained.js";
import { CorruptHdf5Error, dtypeName, isNumericDtype, NotSelfContainedError } from "./h5-errors.js";

export interface LatentSummary {
  /** Top-level dataset names. */
  datasets: string[];
  /** Top-level group names (a latent must not hide in a group). */
  groups: string[];
  shape: number[] | null;
  dtype: string | null;
  /** All values finite, when checked (and the latent is a numeric matrix); else null. */
  finite: boolean | null;
  /** Count of NaN/Inf values when checked, else null. */
  nonFinite: number | null;
}

/** Values read per block when scanning for NaN/Inf, so memory stays bounded (16 MiB of float32). */
const ROW_BLOCK_VALUES = 4 * 1024 * 1024;

export interface ReadLatentOptions {
  checkFinite: boolean;
  /** Dataset to describe (default "latent"). */
  name?: string;
  /** Values per block of rows in the finiteness scan (tests use small blocks). */
  blockValues?: number;
}

export async function readLatentInThread(path: string, options: ReadLatentOptions): Promise<LatentSummary> {
  const lib = await h5();
  if (!existsSync(path)) throw new CorruptHdf5Error(`${path} does not exist`);
  let file: H5File;
  try {
    file = new lib.File(path, "r");
  } catch (error) {
    throw new CorruptHdf5Error(hdf5Reason(error));
  }
  try {
    assertSelfContained(lib, file);
    const datasets: string[] = [];
    const groups: string[] = [];
    for (const key of file.keys()) {
      if (isDataset(lib, file.get(key))) datasets.push(key);
      else groups.push(key);
    }
    const latent = file.get(options.name ?? "latent");
    if (!isDataset(lib, latent)) return { datasets, groups, shape: null, dtype: null, finite: null, nonFinite: null };
    const shape = latent.shape ?? [];
    const dtype = dtypeName(latent.dtype);
    let nonFinite: number | null = null;
    if (options.checkFinite && shape.length === 2 && isNumericDtype(dtype)) {
      nonFinite = 0;
      if (dtype.startsWith("float")) {
        const [rows, cols] = shape as [number, number];
        const block = Math.max(1, Math.floor((options.blockValues ?? ROW_BLOCK_VALUES) / Math.max(1, cols)));
        for (let start = 0; start < rows && cols > 0; start += block) {
          const values = latent.slice([[start, Math.min(rows, start + block)], []]) as ArrayLike<number>;
          for (let i = 0; i < values.length; i += 1) if (!Number.isFinite(values[i]!)) nonFinite += 1;
        }
      }
    }
    return { datasets, groups, shape, dtype, finite: nonFinite === null ? null : nonFinite === 0, nonFinite };
  } catch (error) {
    if (error instanceof CorruptHdf5Error || error instanceof NotSelfContainedError) throw error;
    throw new CorruptHdf5Error(refusedOpenReason(error) ?? hdf5Reason(error));
  } finally {
    closeQuietly(file);
  }
}
