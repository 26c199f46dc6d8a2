/**
 * The export's ro-crate-metadata.json (RO-Crate 1.1): the metadata descriptor, the root Data Entity "./", one
 * Dataset per bundle (hasPart: its File entities with contentSize, sha256 and encodingFormat), the input datasets,
 * the model images (identifier: their digest) and one CreateAction per run linking image, dataset, parameters and
 * bundle. Pure.
 */
import type { ArtifactManifest } from "../artifacts/manifest.js";

export const RO_CRATE_CONTEXT = "https://w3id.org/ro/crate/1.1/context";
export const RO_CRATE_PROFILE = "https://w3id.org/ro/crate/1.1";
export const RO_CRATE_METADATA_FILE = "ro-crate-metadata.json";

export interface ExportedBundle {
  /** Directory of the bundle inside the crate, ending in "/". */
  dir: string;
  manifest: ArtifactManifest;
  /** Every file of the bundle as exported, the manifest and its sidecar included. */
  files: { path: string; size: number; sha256: string }[];
}

type Entity = Record<string, unknown> & { "@id": string; "@type": string | string[] };

const FORMATS: [RegExp, string][] = [
  [/\.(h5|h5ad|h5mu)$/, "application/x-hdf5"],
  [/\.json$/, "application/json"],
  [/\.png$/, "image/png"],
  [/\.(log|txt)$/, "text/plain"],
  [/\.sha256$/, "text/plain"],
  [/\.(yaml|yml)$/, "application/yaml"],
  [/\.csv$/, "text/csv"],
];

export function encodingFormat(path: string): string {
  return FORMATS.find(([pattern]) => pattern.test(path))?.[1] ?? "application/octet-stream";
}

function propertyValues(values: Record<string, unknown>): Entity[] {
  return Object.keys(values)
    .sort()
    .map((name) => ({ "@id": "", "@type": "PropertyValue", name, value: typeof values[name] === "object" ? JSON.stringify(values[name]) : values[name] }));
}

export function buildRoCrate(input: { name: string; description: string; datePublished: string; bundles: ExportedBundle[] }): { "@context": string; "@graph": Entity[] } {
  const graph: Entity[] = [];
  const seen = new Set<string>();
  const add = (entity: Entity) => {
    if (seen.has(entity["@id"])) return;
    seen.add(entity["@id"]);
    graph.push(entity);
  };
  add({ "@id": RO_CRATE_METADATA_FILE, "@type": "CreativeWork", conformsTo: { "@id": RO_CRATE_PROFILE }, about: { "@id": "./" } });
  const root: Entity = {
    "@id": "./",
    "@type": "Dataset",
    name: input.name,
    description: input.description,
    datePublished: input.datePublished,
    hasPart: input.bundles.map((b) => ({ "@id": b.dir })),
    mentions: input.bundles.map((b) => ({ "@id": `#run-${b.manifest.physical_run_id}` })),
  };
  add(root);
  for (const bundle of input.bundles) {
    const m = bundle.manifest;
    const datasetId = `#dataset-${m.dataset.slug}-${m.dataset.fingerprint}`;
    const imageDigest = m.image.registry_digest ?? m.image.digest;
    const imageId = `#image-${imageDigest}`;
    add({ "@id": datasetId, "@type": "Dataset", name: m.dataset.slug, identifier: m.dataset.fingerprint, description: `input dataset, ${m.dataset.n_obs} cells` });
    add({
      "@id": imageId,
      "@type": "SoftwareApplication",
      name: `${m.model.slug} ${m.model.version}`,
      softwareVersion: m.model.version,
      identifier: imageDigest,
      url: m.image.reference,
      description: `model image ${m.image.reference} (${m.image.kind}${m.image.registry_digest ? ", registry digest" : ""})`,
    });
    for (const file of bundle.files) {
      add({ "@id": `${bundle.dir}${file.path}`, "@type": "File", name: file.path, contentSize: String(file.size), sha256: file.sha256, encodingFormat: encodingFormat(file.path) });
    }
    add({
      "@id": bundle.dir,
      "@type": "Dataset",
      name: `${m.benchmark}/${m.job_name} seed ${m.seed} (run ${m.logical_run_id}, attempt ${m.physical_run_id})`,
      identifier: m.physical_run_id,
      dateCreated: m.produced_at,
      hasPart: bundle.files.map((f) => ({ "@id": `${bundle.dir}${f.path}` })),
    });
    const params = propertyValues({ ...m.params, seed: m.seed }).map((p, i) => ({ ...p, "@id": `#run-${m.physical_run_id}-param-${i}` }));
    for (const p of params) add(p);
    add({
      "@id": `#run-${m.physical_run_id}`,
      "@type": "CreateAction",
      name: `${m.model.slug} on ${m.dataset.slug}`,
      endTime: m.produced_at,
      instrument: { "@id": imageId },
      object: [{ "@id": datasetId }, ...params.map((p) => ({ "@id": p["@id"] }))],
      result: { "@id": bundle.dir },
    });
  }
  return { "@context": RO_CRATE_CONTEXT, "@graph": graph };
}
