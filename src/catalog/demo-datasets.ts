/**
 * The demo and test datasets: small, seeded, written once. A file is kept when its stamp (spec, writer version
 * and content fingerprint) says it is exactly what this spec produces; otherwise it is rewritten.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { H5MU_WRITER_VERSION, writeH5mu, type SyntheticDatasetSpec } from "../h5/index.js";
import { canonicalJson } from "../identity/canonical-json.js";
import { fingerprintFile } from "../identity/file-hash.js";

export const DEMO_DATASETS: Record<string, SyntheticDatasetSpec> = {
  "demo-rna.h5mu": { nObs: 300, modalities: { rna: { nVars: 200 } }, seed: 11, batches: 3, labels: 5 },
  "demo-rna-atac.h5mu": { nObs: 300, modalities: { rna: { nVars: 150 }, atac: { nVars: 250 } }, seed: 12, batches: 2, labels: 4 },
  "demo-rna-adt.h5mu": { nObs: 300, modalities: { rna: { nVars: 150 }, adt: { nVars: 20 } }, seed: 13, batches: 2, labels: 4 },
};

/**
 * The obs columns each demo and test dataset declares as its batch and label keys (what evaluation uses).
 * The synthetic sets (writeH5mu) have `batch` and `label`; pbmc68k-reduced (worker/multiverse/datasets) has the
 * cell types in `bulk_labels` and the 10x GEM group of each barcode (suffix -1..-8, the library) in `gem_group`.
 */
export const DEMO_DATASET_KEYS: Record<string, { batchKey: string; labelKey: string }> = {
  "demo-rna.h5mu": { batchKey: "batch", labelKey: "label" },
  "demo-rna-atac.h5mu": { batchKey: "batch", labelKey: "label" },
  "demo-rna-adt.h5mu": { batchKey: "batch", labelKey: "label" },
  "pbmc68k-reduced.h5mu": { batchKey: "gem_group", labelKey: "bulk_labels" },
};

interface Stamp {
  spec: SyntheticDatasetSpec;
  writer: number;
  fingerprint: string;
}

async function upToDate(file: string, stampFile: string, spec: SyntheticDatasetSpec): Promise<boolean> {
  if (!existsSync(file) || !existsSync(stampFile)) return false;
  let stamp: Partial<Stamp>;
  try {
    stamp = JSON.parse(readFileSync(stampFile, "utf8")) as Partial<Stamp>;
  } catch {
    return false;
  }
  if (canonicalJson(stamp.spec ?? null) !== canonicalJson(spec) || stamp.writer !== H5MU_WRITER_VERSION) return false;
  return stamp.fingerprint === (await fingerprintFile(file));
}

/** Writes demo-rna, demo-rna-atac and demo-rna-adt (.h5mu) into dir; returns their paths. */
export async function makeDemoDatasets(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, spec] of Object.entries(DEMO_DATASETS)) {
    const file = join(dir, name);
    const stampFile = `${file}.spec.json`;
    if (!(await upToDate(file, stampFile, spec))) {
      await writeH5mu(file, spec);
      const stamp: Stamp = { spec, writer: H5MU_WRITER_VERSION, fingerprint: await fingerprintFile(file) };
      writeFileSync(stampFile, canonicalJson(stamp));
    }
    written.push(file);
  }
  return written;
}
