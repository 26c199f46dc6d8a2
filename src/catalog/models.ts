/** Model definitions: model.yaml files (built-in under store/models/<slug>/, or registered under the state root). */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { stringify } from "yaml";
import { API_VERSION, CONTRACT_VERSION, type ModelResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { modelYamlSchema } from "../schemas/seed-manifests.js";
import { compile } from "../schemas/ajv.js";
import { validateDocument } from "../manifest/validate-document.js";
import { parseYamlDocuments } from "../manifest/yaml-documents.js";

interface ModelYaml {
  name: string;
  version: string;
  contract_version?: string | number;
  supported_omics?: string[];
  required_modalities?: string[];
  runtime: { image: string; image_digest?: string; entrypoint?: string[] };
  hyperparameters_schema?: string | Record<string, unknown>;
  resources?: { cpus?: number; mem_gb?: number; gpu?: boolean };
  build?: { context?: string; dockerfile?: string; def_file?: string };
}

export function loadModelYaml(path: string): ModelResource {
  const file = resolve(path);
  if (!existsSync(file)) throw Errors.fileNotFound(`model definition ${path} does not exist`, { location: { file: path } });
  const documents = parseYamlDocuments(readFileSync(file, "utf8"), path);
  const doc = documents[0];
  if (!doc || doc.value === null || typeof doc.value !== "object" || Array.isArray(doc.value)) {
    throw Errors.badModel(`${path} must be a YAML mapping with name, version and runtime`, { location: { file: path, line: 1 } });
  }
  validateDocument(doc, modelYamlSchema, "model definition");
  const yaml = doc.value as ModelYaml;
  const directory = dirname(file);
  let schema: Record<string, unknown> = {};
  if (typeof yaml.hyperparameters_schema === "string") {
    const schemaFile = isAbsolute(yaml.hyperparameters_schema) ? yaml.hyperparameters_schema : join(directory, yaml.hyperparameters_schema);
    if (!existsSync(schemaFile)) throw Errors.badModel(`hyperparameters_schema file ${schemaFile} does not exist`, { location: { file: path, field: "hyperparameters_schema" } });
    try {
      schema = JSON.parse(readFileSync(schemaFile, "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw Errors.badModel(`hyperparameters_schema ${schemaFile} is not valid JSON: ${(error as Error).message}`, { location: { file: schemaFile } });
    }
  } else if (yaml.hyperparameters_schema) {
    schema = yaml.hyperparameters_schema;
  }
  try {
    compile(schema);
  } catch (error) {
    throw Errors.badModel(`the hyperparameter schema of ${yaml.name} is not a valid JSON Schema: ${(error as Error).message}`, { location: { file: path, field: "hyperparameters_schema" } });
  }
  const resource: ModelResource = {
    apiVersion: API_VERSION,
    kind: "Model",
    metadata: { name: yaml.name },
    spec: {
      slug: yaml.name,
      version: yaml.version,
      contractVersion: String(yaml.contract_version ?? CONTRACT_VERSION),
      supportedOmics: yaml.supported_omics ?? [],
      runtime: { image: yaml.runtime.image },
      hyperparametersSchema: schema,
      directory,
    },
  };
  if (yaml.required_modalities) resource.spec.requiredModalities = yaml.required_modalities;
  if (yaml.runtime.image_digest) resource.spec.runtime.imageDigest = yaml.runtime.image_digest;
  if (yaml.runtime.entrypoint) resource.spec.runtime.entrypoint = yaml.runtime.entrypoint;
  if (yaml.resources) {
    resource.spec.resources = {};
    if (yaml.resources.cpus !== undefined) resource.spec.resources.cpus = yaml.resources.cpus;
    if (yaml.resources.mem_gb !== undefined) resource.spec.resources.memGb = yaml.resources.mem_gb;
    if (yaml.resources.gpu !== undefined) resource.spec.resources.gpu = yaml.resources.gpu;
  }
  if (yaml.build) {
    resource.spec.build = {};
    if (yaml.build.context !== undefined) resource.spec.build.context = yaml.build.context;
    if (yaml.build.dockerfile !== undefined) resource.spec.build.dockerfile = yaml.build.dockerfile;
    if (yaml.build.def_file !== undefined) resource.spec.build.defFile = yaml.build.def_file;
  }
  return resource;
}

/**
 * Looks models up in search roots, first match wins: a root holds either `<slug>.yaml` resources (the state
 * root's catalog) or `<slug>/model.yaml` definitions (the built-in store).
 */
export class ModelCatalog {
  constructor(private readonly searchRoots: string[]) {}

  get(slug: string): ModelResource | undefined {
    return this.list().find((m) => m.spec.slug === slug);
  }

  list(): ModelResource[] {
    const found = new Map<string, ModelResource>();
    for (const root of this.searchRoots) {
      if (!existsSync(root)) continue;
      for (const name of readdirSync(root).sort()) {
        const path = join(root, name);
        let model: ModelResource | undefined;
        if (name.endsWith(".yaml") && statSync(path).isFile()) model = readRegistered(path);
        else if (statSync(path).isDirectory() && existsSync(join(path, "model.yaml"))) model = loadModelYaml(join(path, "model.yaml"));
        if (model && !found.has(model.spec.slug)) found.set(model.spec.slug, model);
      }
    }
    return [...found.values()];
  }

  /** Writes the resolved Model resource (schema inlined, directory recorded) to <stateRoot>/catalog/models/<slug>.yaml. */
  register(stateRoot: string, resource: ModelResource): string {
    const dir = join(stateRoot, "catalog", "models");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${resource.spec.slug}.yaml`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, stringify(resource));
    renameSync(tmp, file);
    return file;
  }
}

function readRegistered(path: string): ModelResource {
  const doc = parseYamlDocuments(readFileSync(path, "utf8"), path)[0];
  const value = doc?.value as ModelResource | undefined;
  if (!value || value.kind !== "Model" || !value.spec?.slug) throw Errors.badModel(`catalog entry ${path} is not a Model resource`, { location: { file: path } });
  return value;
}
