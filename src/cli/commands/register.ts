import { resolve } from "node:path";
import { EXIT_OK } from "../../domain/errors.js";
import { DatasetCatalog, describeDataset } from "../../catalog/datasets.js";
import { ModelCatalog, loadModelYaml } from "../../catalog/models.js";
import { modelsBuildCommand } from "./models-build.js";
import { json, type Io } from "../output.js";

export interface RegisterDatasetOptions {
  slug: string;
  batchKey?: string;
  labelKey?: string;
  stateRoot: string;
  json?: boolean;
}

export async function registerDatasetCommand(path: string, options: RegisterDatasetOptions, io: Io): Promise<number> {
  const resource = await describeDataset(resolve(path), { slug: options.slug, batchKey: options.batchKey, labelKey: options.labelKey });
  const file = new DatasetCatalog(resolve(options.stateRoot)).register(resource);
  if (options.json) io.out(json({ file, resource }));
  else {
    const s = resource.spec;
    io.out([
      `registered dataset ${resource.metadata.name} -> ${file}`,
      `  path:        ${s.path}`,
      `  fingerprint: ${s.fingerprint}`,
      `  cells:       ${s.nObs}`,
      `  modalities:  ${(s.modalities ?? []).map((m) => `${m} (${s.nVars?.[m] ?? "?"} features)`).join(", ")}`,
      `  obs columns: ${(s.obsColumns ?? []).join(", ") || "-"}`,
      `  batch key:   ${s.batchKey ?? "-"}; label key: ${s.labelKey ?? "-"}`,
    ].join("\n"));
  }
  return EXIT_OK;
}

export interface RegisterModelOptions {
  stateRoot: string;
  json?: boolean;
}

export async function registerModelCommand(path: string, options: RegisterModelOptions & { build?: boolean; baseImage?: string }, io: Io): Promise<number> {
  const resource = loadModelYaml(resolve(path));
  const file = new ModelCatalog([]).register(resolve(options.stateRoot), resource);
  if (options.json) io.out(json({ file, resource }));
  else io.out(`registered model ${resource.spec.slug} ${resource.spec.version} (image ${resource.spec.runtime.image}) -> ${file}`);
  // Registered first: a failed build leaves a usable definition, and the build can be run again with models build.
  if (options.build) return modelsBuildCommand(resource, { baseImage: options.baseImage, quiet: options.json }, io);
  return EXIT_OK;
}
