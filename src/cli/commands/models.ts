import { join, resolve } from "node:path";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { ModelCatalog } from "../../catalog/models.js";
import { repoRoot } from "../../util/paths.js";
import { envsRoot } from "../../executors/registry.js";
import { envDirFor, setupModelEnv } from "../../executors/local/model-envs.js";
import { json, table, type Io } from "../output.js";
import { modelsBuildCommand } from "./models-build.js";

export function modelCatalog(stateRoot: string): ModelCatalog {
  return new ModelCatalog([join(resolve(stateRoot), "catalog", "models"), join(repoRoot(), "store", "models")]);
}

export function modelsListCommand(options: { stateRoot: string; json?: boolean }, io: Io): number {
  const models = modelCatalog(options.stateRoot).list();
  if (options.json) io.out(json(models));
  else io.out(table(["MODEL", "VERSION", "OMICS", "IMAGE", "LOCAL ENTRYPOINT"], models.map((m) => [m.spec.slug, m.spec.version, m.spec.supportedOmics.join("+") || "any", m.spec.runtime.image, m.spec.runtime.entrypoint?.join(" ")])));
  return EXIT_OK;
}

/** `multiverse models setup <slug>`: the model's own Python environment for the local executor. */
export function modelsSetupCommand(slug: string, options: { stateRoot: string; python?: string; json?: boolean }, io: Io): number {
  const model = modelCatalog(options.stateRoot).get(slug);
  if (!model) throw Errors.unknownModel(`model "${slug}" is not a built-in or registered model`);
  if (!model.spec.directory) throw Errors.badModel(`model "${slug}" has no model directory to build an environment from`);
  if (model.spec.build?.unavailable) throw Errors.badModel(`model ${slug} cannot be set up here: ${model.spec.build.unavailable}`);
  const record = setupModelEnv({
    envsRoot: envsRoot(),
    slug,
    version: model.spec.version,
    modelDirectory: model.spec.directory,
    python: options.python,
    progress: (line) => {
      if (!options.json) io.err(line);
    },
  });
  const dir = envDirFor(envsRoot(), slug, model.spec.version);
  if (options.json) io.out(json({ environment: dir, ...record }));
  else io.out(`model ${slug} ${model.spec.version}: environment ready at ${dir} (python ${record.python})`);
  return EXIT_OK;
}

export async function modelsBuildCliCommand(slug: string, options: { stateRoot: string; baseImage?: string; quiet?: boolean }, io: Io): Promise<number> {
  const model = modelCatalog(options.stateRoot).get(slug);
  if (!model) throw Errors.unknownModel(`model "${slug}" is not a built-in or registered model`);
  return modelsBuildCommand(model, options, io);
}
