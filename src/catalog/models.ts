/** Model definitions: model.yaml files (built-in under store/models/<slug>/, or registered under the state root). */
import { outputLimitsFromSnake } from "../validation/output-limits.js";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { stringify } from "yaml";
import { API_VERSION, CONTRACT_VERSION, type ModelResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { modelYamlSchema } from "../schemas/seed-manifests.js";
import { RESOURCE_SCHEMAS } from "../schemas/resources.js";
import { compile } from "../schemas/ajv.js";
import { issuesFromAjv } from "../schemas/error-messages.js";
import { throwIssues, validateDocument } from "../manifest/validate-document.js";
import { imageIssue, nonFiniteIssues, versionIssues } from "../manifest/manifest-checks.js";
import { manifestPath } from "../manifest/manifest-paths.js";
import type { SchemaIssue } from "../schemas/error-messages.js";
import { readSchemaFile } from "../schemas/schema-file.js";
import { locate, parseYamlDocuments, type LoadedDocument } from "../manifest/yaml-documents.js";

interface ModelYaml {
  name: string;
  version: string;
  contract_version?: string | number;
  description?: string;
  supported_omics?: string[];
  required_modalities?: string[];
  runtime: { image: string; image_digest?: string; entrypoint?: string[] };
  hyperparameters_schema?: string | Record<string, unknown>;
  resources?: { cpus?: number; mem_gb?: number; gpu?: boolean; output_limits?: Record<string, number> };
  build?: { context?: string; dockerfile?: string; def_file?: string; unavailable?: string };
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    if (code === "ENOENT") throw Errors.fileNotFound(`${what} ${path} does not exist`, { location: { file: path } });
    throw Errors.fileNotFound(`cannot read ${what} ${path}: ${(error as Error).message}`, { location: { file: path } });
  }
}

function singleMapping(text: string, path: string, what: string): LoadedDocument {
  const documents = parseYamlDocuments(text, path).filter((d) => d.value !== null && d.value !== undefined);
  const doc = documents[0];
  if (!doc || typeof doc.value !== "object" || Array.isArray(doc.value)) {
    throw Errors.badModel(`${path} must be a YAML mapping (${what})`, { location: { file: path, line: doc?.line ?? 1 } });
  }
  if (documents.length > 1) throw Errors.badModel(`${path} must hold a single YAML document`, { location: { file: path, line: documents[1]!.line } });
  return doc;
}

function hyperparameterSchema(doc: LoadedDocument, yaml: ModelYaml, directory: string): Record<string, unknown> {
  const declared = yaml.hyperparameters_schema;
  const where = { file: doc.file, ...locate(doc, ["hyperparameters_schema"]), field: "hyperparameters_schema" };
  let schema: unknown = {};
  if (typeof declared === "string") {
    const issues: SchemaIssue[] = [];
    // A model.yaml is the user's own configuration (like a dataset path, any path); its errors never echo the file.
    const schemaFile = manifestPath(directory, declared, ["hyperparameters_schema"], issues, "data");
    if (schemaFile === undefined) throw Errors.badModel(`hyperparameters_schema: ${issues[0]?.message ?? "not a usable path"}`, { location: where });
    if (!existsSync(schemaFile)) throw Errors.badModel(`hyperparameters_schema file ${schemaFile} does not exist`, { location: where });
    const read = readSchemaFile(schemaFile);
    if (!read.ok) throw Errors.badModel(`hyperparameters_schema ${read.reason}`, { location: /not valid JSON/.test(read.reason) ? { file: schemaFile } : where });
    schema = read.schema;
  } else if (declared !== undefined) {
    schema = declared;
  }
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    throw Errors.badModel(`the hyperparameter schema of ${yaml.name} must be a JSON object (a JSON Schema)`, { location: where });
  }
  const object = schema as Record<string, unknown>;
  try {
    compile(object);
  } catch (error) {
    throw Errors.badModel(`the hyperparameter schema of ${yaml.name} is not a valid JSON Schema: ${(error as Error).message}`, { location: where });
  }
  return object;
}

export function loadModelYaml(path: string): ModelResource {
  const file = resolve(path);
  const doc = singleMapping(readText(file, "model definition"), path, "name, version, runtime, ...");
  throwIssues(doc, nonFiniteIssues(doc.value), "model definition");
  validateDocument(doc, modelYamlSchema, "model definition");
  const yaml = doc.value as ModelYaml;
  throwIssues(doc, [...imageIssue(yaml.runtime.image, ["runtime", "image"]), ...versionIssues(doc.value as Record<string, unknown>, [["contract_version"]])], "model definition");
  const directory = dirname(file);
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
      hyperparametersSchema: hyperparameterSchema(doc, yaml, directory),
      directory,
    },
  };
  if (yaml.description !== undefined) resource.metadata.annotations = { "multiverse.io/description": yaml.description };
  if (yaml.required_modalities) resource.spec.requiredModalities = yaml.required_modalities;
  if (yaml.runtime.image_digest) resource.spec.runtime.imageDigest = yaml.runtime.image_digest;
  if (yaml.runtime.entrypoint) resource.spec.runtime.entrypoint = yaml.runtime.entrypoint;
  if (yaml.resources) {
    resource.spec.resources = {};
    if (yaml.resources.cpus !== undefined) resource.spec.resources.cpus = yaml.resources.cpus;
    if (yaml.resources.mem_gb !== undefined) resource.spec.resources.memGb = yaml.resources.mem_gb;
    if (yaml.resources.gpu !== undefined) resource.spec.resources.gpu = yaml.resources.gpu;
    if (yaml.resources.output_limits !== undefined) resource.spec.resources.outputLimits = outputLimitsFromSnake(yaml.resources.output_limits);
  }
  if (yaml.build) {
    resource.spec.build = {};
    if (yaml.build.context !== undefined) resource.spec.build.context = yaml.build.context;
    if (yaml.build.dockerfile !== undefined) resource.spec.build.dockerfile = yaml.build.dockerfile;
    if (yaml.build.def_file !== undefined) resource.spec.build.defFile = yaml.build.def_file;
    if (yaml.build.unavailable !== undefined) resource.spec.build.unavailable = yaml.build.unavailable;
  }
  return resource;
}

/**
 * Looks models up in search roots, first root wins: a root holds `<slug>.yaml` Model resources (the state root's
 * catalog, written by register()) and/or `<slug>/model.yaml` definitions (the built-in store).
 */
export class ModelCatalog {
  constructor(private readonly searchRoots: string[]) {}

  get(slug: string): ModelResource | undefined {
    // the usual layout names files after the slug: read only those, so one broken definition elsewhere does not matter
    for (const root of this.searchRoots) {
      for (const candidate of [join(root, `${slug}.yaml`), join(root, slug, "model.yaml")]) {
        if (!isFile(candidate)) continue;
        const model = candidate.endsWith("model.yaml") ? loadModelYaml(candidate) : readRegistered(candidate);
        if (model.spec.slug === slug) return model;
      }
    }
    return this.list().find((m) => m.spec.slug === slug);
  }

  list(): ModelResource[] {
    const found = new Map<string, ModelResource>();
    for (const root of this.searchRoots) {
      if (!existsSync(root)) continue;
      for (const name of readdirSync(root).sort()) {
        const path = join(root, name);
        let model: ModelResource | undefined;
        if (name.endsWith(".yaml") && isFile(path)) model = readRegistered(path);
        else if (isFile(join(path, "model.yaml"))) model = loadModelYaml(join(path, "model.yaml"));
        if (model && !found.has(model.spec.slug)) found.set(model.spec.slug, model);
      }
    }
    return [...found.values()].sort((a, b) => a.spec.slug.localeCompare(b.spec.slug));
  }

  /** Writes the resolved Model resource (schema inlined, directory recorded) to <stateRoot>/catalog/models/<slug>.yaml. */
  register(stateRoot: string, resource: ModelResource): string {
    const validate = compile(RESOURCE_SCHEMAS.Model);
    const slug = resource.spec.slug;
    if (!validate(resource)) {
      const issue = issuesFromAjv(validate.errors, resource)[0];
      throw Errors.badModel(`cannot register model ${slug}: ${issue ? `${issue.field}: ${issue.message}` : "invalid Model resource"}`);
    }
    const dir = join(stateRoot, "catalog", "models");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${resource.spec.slug}.yaml`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, stringify(resource));
    renameSync(tmp, file);
    return file;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readRegistered(path: string): ModelResource {
  const doc = singleMapping(readText(path, "catalog entry"), path, "a Model resource");
  if ((doc.value as { kind?: unknown }).kind !== "Model") throw Errors.badModel(`catalog entry ${path} is not a Model resource`, { location: { file: path, line: doc.line } });
  validateDocument(doc, RESOURCE_SCHEMAS.Model, "Model");
  const model = doc.value as ModelResource;
  throwIssues(doc, imageIssue(model.spec.runtime.image, ["spec", "runtime", "image"]), "Model");
  model.spec.contractVersion ??= CONTRACT_VERSION;
  model.spec.supportedOmics ??= [];
  model.spec.hyperparametersSchema ??= {};
  return model;
}

/**
 * A manifest's inline model (simple mode, or a Model document) often gives slug, version and image but no
 * hyperparameter schema: the built-in or registered model of the same slug supplies it, so that its params are
 * validated and defaulted the same way. An inline model with a schema of its own keeps it.
 */
export function withCatalogSchema(inline: ModelResource, known: ModelResource | undefined): ModelResource {
  if (!known || Object.keys(inline.spec.hyperparametersSchema ?? {}).length > 0) return inline;
  return { ...inline, spec: { ...inline.spec, hyperparametersSchema: structuredClone(known.spec.hyperparametersSchema) } };
}
