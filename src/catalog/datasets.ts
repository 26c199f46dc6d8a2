/** Datasets: inspection of .h5mu files and the Dataset catalog kept as YAML files under the state root. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { API_VERSION, type DatasetResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { readH5muSummary } from "../h5/isolated.js";
import { fingerprintFile } from "../identity/file-hash.js";
import { assertSlug, isSlug } from "./slugs.js";

export { fingerprintFile } from "../identity/file-hash.js";

/**
 * Bumped when describeDataset checks more (2: shapes, names and self-containment), so that inspections cached by
 * plan time under an older version are made again instead of trusted.
 */
export const DATASET_CHECKS_VERSION = 2;

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

function isDatasetResource(value: unknown): value is DatasetResource {
  if (!value || typeof value !== "object") return false;
  const candidate = value as { kind?: unknown; metadata?: { name?: unknown }; spec?: { path?: unknown } };
  return candidate.kind === "Dataset" && typeof candidate.metadata?.name === "string" && typeof candidate.spec?.path === "string";
}

/** Dataset resources kept as YAML files: <stateRoot>/catalog/datasets/<slug>.yaml. */
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
    try {
      writeFileSync(tmp, stringify(resource));
      renameSync(tmp, file);
    } finally {
      rmSync(tmp, { force: true });
    }
    return file;
  }

  /** undefined for a name that is not a slug: nothing else can have been registered, and no path is built from it. */
  get(slug: string): DatasetResource | undefined {
    if (!isSlug(slug)) return undefined;
    const file = join(this.dir, `${slug}.yaml`);
    if (!existsSync(file)) return undefined;
    let parsed: unknown;
    try {
      parsed = parse(readFileSync(file, "utf8"));
    } catch (cause) {
      throw Errors.badDataset(`catalog entry ${file} is not valid YAML: ${(cause as Error).message.split("\n")[0]}`, { location: { file } });
    }
    if (!isDatasetResource(parsed)) throw Errors.badDataset(`catalog entry ${file} is not a Dataset resource (kind: Dataset with spec.path)`, { location: { file } });
    if (parsed.metadata.name !== slug) throw Errors.badDataset(`catalog entry ${file} is named "${parsed.metadata.name}", not "${slug}"`, { location: { file, field: "metadata.name" } });
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
