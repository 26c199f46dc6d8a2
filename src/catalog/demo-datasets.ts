/** The demo and test datasets: small, seeded, written once (an existing file with the same spec is kept). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeH5mu, type SyntheticDatasetSpec } from "../h5/index.js";
import { canonicalJson } from "../identity/canonical-json.js";

export const DEMO_DATASETS: Record<string, SyntheticDatasetSpec> = {
  "demo-rna.h5mu": { nObs: 300, modalities: { rna: { nVars: 200 } }, seed: 11, batches: 3, labels: 5 },
  "demo-rna-atac.h5mu": { nObs: 300, modalities: { rna: { nVars: 150 }, atac: { nVars: 250 } }, seed: 12, batches: 2, labels: 4 },
  "demo-rna-adt.h5mu": { nObs: 300, modalities: { rna: { nVars: 150 }, adt: { nVars: 20, kind: "normal" } }, seed: 13, batches: 2, labels: 4 },
};

export async function makeDemoDatasets(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, spec] of Object.entries(DEMO_DATASETS)) {
    const file = join(dir, name);
    const stamp = `${file}.spec.json`;
    const wanted = canonicalJson(spec);
    if (!existsSync(file) || !existsSync(stamp) || readFileSync(stamp, "utf8") !== wanted) {
      await writeH5mu(file, spec);
      writeFileSync(stamp, wanted);
    }
    written.push(file);
  }
  return written;
}
