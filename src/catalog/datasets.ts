/** Datasets: inspection of .h5mu files and the Dataset catalog kept as YAML files under the state root. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { API_VERSION, type DatasetResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { readH5muSummary } from "../h5/index.js";
import { fingerprintFile } from "./fingerprint.js";
import { assertSlug } from "./slugs.js";

export { fingerprintFile } from "./fingerprint.js";

export async function describeDataset(path: string, options: { slug: string; batchKey?: string; labelKey?: string }): Promise<DatasetResource> {
  assertSlug(options.slug, "dataset slug");
  const absolute = resolve(path);
  const summary = await readH5muSummary(absolute);
  for (const [flag, key] of [["--batch-key", options.batchKey], ["--label-key", options.labelKey]] as const) {
    if (key !== undefined && !summary.obsColumns.includes(key)) {
      throw Errors.badDataset(`${absolute}: ${flag} "${key}" is not an obs column`, {
        location: { file: absolute, field: "obs" },
        details: [`available obs columns: ${summary.obsColumns.join(", ") || "(none)"}`],
      });
    }
  }
  const resource: DatasetResource = {
    apiVersion: API_VERSION,
    kind: "Dataset",
    metadata: { name: options.slug },
    spec: {
      path: absolute,
      fingerprint: await fingerprintFile(absolute),
      modalities: summary.modalities,
      nObs: summary.nObs,
      nVars: summary.nVars,
      obsColumns: summary.obsColumns,
    },
  };
  if (options.batchKey !== undefined) resource.spec.batchKey = options.batchKey;
  if (options.labelKey !== undefined) resource.spec.labelKey = options.labelKey;
  return resource;
}

export class DatasetCatalog {
  private readonly dir: string;

  constructor(stateRoot: string) {
    this.dir = join(stateRoot, "catalog", "datasets");
  }

  register(resource: DatasetResource): string {
    assertSlug(resource.metadata.name, "dataset slug");
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${resource.metadata.name}.yaml`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, stringify(resource));
    renameSync(tmp, file);
    return file;
  }

  get(slug: string): DatasetResource | undefined {
    const file = join(this.dir, `${slug}.yaml`);
    if (!existsSync(file)) return undefined;
    const parsed = parse(readFileSync(file, "utf8")) as DatasetResource;
    if (parsed?.kind !== "Dataset" || !parsed.spec?.path) throw Errors.badDataset(`catalog entry ${file} is not a Dataset resource`, { location: { file } });
    return parsed;
  }

  list(): DatasetResource[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) => this.get(f.slice(0, -".yaml".length)))
      .filter((d): d is DatasetResource => d !== undefined);
  }
}
