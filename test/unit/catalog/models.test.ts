import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModelYaml, ModelCatalog } from "../../../src/catalog/models.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { resolveHyperparameters } from "../../../src/schemas/hyperparameters.js";
import { repoRoot } from "../../../src/util/paths.js";

const temp = mkdtempSync(join(tmpdir(), "mv-models-"));
after(() => rmSync(temp, { recursive: true, force: true }));

let counter = 0;
/** Writes <root>/<dir>/model.yaml (and optional extra files) and returns the model.yaml path. */
function writeModel(yaml: string, files: Record<string, string> = {}, root = join(temp, `root-${(counter += 1)}`), dir = "m"): string {
  mkdirSync(join(root, dir), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, dir, name), text);
  writeFileSync(join(root, dir, "model.yaml"), yaml);
  return join(root, dir, "model.yaml");
}

function refuses(path: string, code: string, message: RegExp, line?: number, field?: string): void {
  assert.throws(
    () => loadModelYaml(path),
    (e: unknown) => {
      assert.ok(e instanceof MultiverseError, String(e));
      assert.equal(e.code, code, e.format());
      assert.match(e.message, message);
      if (line !== undefined) assert.equal(e.location.line, line, e.format());
      if (field !== undefined) assert.equal(e.location.field, field, e.format());
      return true;
    },
  );
}

const minimal = "name: mine\nversion: 0.1.0\nruntime:\n  image: me/mine:0.1\n";

describe("model.yaml", () => {
  test("repoRoot() is the directory holding package.json", () => {
    assert.equal(JSON.parse(readFileSync(join(repoRoot(), "package.json"), "utf8")).name, "multiverse");
  });

  test("the built-in pca definition loads with its schema file resolved", () => {
    const model = loadModelYaml(join(repoRoot(), "store/models/pca/model.yaml"));
    assert.equal(model.kind, "Model");
    assert.equal(model.metadata.name, "pca");
    assert.equal(model.spec.slug, "pca");
    assert.equal(model.spec.version, "1.0.0");
    assert.equal(model.spec.contractVersion, "1");
    assert.ok(model.spec.supportedOmics.includes("rna"));
    assert.deepEqual(model.spec.runtime, { image: "multiverse-pca:1.0.0", entrypoint: ["python3", "container/run.py"] });
    assert.equal(model.spec.directory, join(repoRoot(), "store/models/pca"));
    assert.equal(model.spec.build?.dockerfile, "container/Dockerfile");
    const props = model.spec.hyperparametersSchema.properties as Record<string, { default?: unknown; maximum?: number }>;
    assert.deepEqual([props.n_components?.default, props.n_components?.maximum, props.svd_solver?.default, props.device?.default], [20, 200, "full", "cpu"]);
    assert.equal(model.spec.hyperparametersSchema.additionalProperties, false);
  });

  test("the contract-test fixture loads, and its behaviours default to ok", () => {
    const model = loadModelYaml(join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"));
    assert.equal(model.spec.runtime.image, "multiverse-contract-test:dev");
    const params = resolveHyperparameters(model.spec.hyperparametersSchema, {}, { model: "contract-test", job: "j" });
    assert.deepEqual(params, { behavior: "ok", sleep_seconds: 0, n_latent: 8 });
    for (const behavior of ["ok", "exit1", "no_outputs", "wrong_rows", "nan", "no_latent", "extra_dataset", "symlink", "oom", "sleep"]) {
      assert.equal(resolveHyperparameters(model.spec.hyperparametersSchema, { behavior }, { model: "contract-test", job: "j" }).behavior, behavior);
    }
  });

  test("a minimal definition gets the defaults; snake_case fields map to the resource", () => {
    const model = loadModelYaml(writeModel(`${minimal}required_modalities: [rna, atac]\nresources: {cpus: 2, mem_gb: 1.5, gpu: true}\nbuild: {context: ., def_file: model.def}\ndescription: mine\n`));
    assert.deepEqual(model.spec.hyperparametersSchema, {});
    assert.deepEqual(model.spec.supportedOmics, []);
    assert.deepEqual(model.spec.requiredModalities, ["rna", "atac"]);
    assert.deepEqual(model.spec.resources, { cpus: 2, memGb: 1.5, gpu: true });
    assert.deepEqual(model.spec.build, { context: ".", defFile: "model.def" });
  });

  test("an inline hyperparameter schema is used as is", () => {
    const model = loadModelYaml(writeModel(`${minimal}hyperparameters_schema:\n  type: object\n  properties:\n    k: {type: integer, default: 3}\n`));
    assert.deepEqual(resolveHyperparameters(model.spec.hyperparametersSchema, {}, { model: "mine", job: "j" }), { k: 3 });
  });

  test("an unknown field is refused with a suggestion, file and line", () => {
    refuses(writeModel(`${minimal}suported_omics: [rna]\n`), "MV_SCHEMA", /unknown field "suported_omics" \(did you mean "supported_omics"\?\)/, 5, "suported_omics");
  });

  test("a missing image is refused", () => {
    refuses(writeModel("name: mine\nversion: '1'\nruntime:\n  entrypoint: [run]\n"), "MV_SCHEMA", /missing required field "image"/, 3, "runtime");
  });

  test("a name that is not a slug is refused", () => {
    refuses(writeModel("name: My Model\nversion: '1'\nruntime: {image: i}\n"), "MV_SCHEMA", /does not match the expected format/, 1, "name");
  });

  test("a missing schema file is refused at the hyperparameters_schema line", () => {
    refuses(writeModel(`${minimal}hyperparameters_schema: nope.json\n`), "MV_BAD_MODEL", /nope\.json does not exist/, 5, "hyperparameters_schema");
  });

  test("a schema file that is not JSON is refused", () => {
    refuses(writeModel(`${minimal}hyperparameters_schema: s.json\n`, { "s.json": "{ not json" }), "MV_BAD_MODEL", /not valid JSON/);
  });

  test("a schema that is not a valid JSON Schema is refused", () => {
    refuses(writeModel(`${minimal}hyperparameters_schema: s.json\n`, { "s.json": '{"type": "nonsense"}' }), "MV_BAD_MODEL", /not a valid JSON Schema/, 5);
    refuses(writeModel(`${minimal}hyperparameters_schema: s.json\n`, { "s.json": "[1, 2]" }), "MV_BAD_MODEL", /must be a JSON object/);
  });

  test("a file that is not a mapping, or missing, is refused", () => {
    refuses(writeModel("- a\n"), "MV_BAD_MODEL", /must be a YAML mapping/);
    refuses(writeModel(""), "MV_BAD_MODEL", /must be a YAML mapping/);
    refuses(join(temp, "nowhere", "model.yaml"), "MV_FILE_NOT_FOUND", /does not exist/);
  });
});

describe("ModelCatalog", () => {
  test("built-in models are found in store/models", () => {
    const catalog = new ModelCatalog([join(repoRoot(), "store/models")]);
    assert.equal(catalog.get("pca")?.spec.version, "1.0.0");
    assert.equal(catalog.get("no-such-model"), undefined);
    assert.ok(catalog.list().some((m) => m.spec.slug === "pca"));
  });

  test("register() writes a Model resource that the first root serves ahead of the built-in one", () => {
    const state = join(temp, "state-1");
    const builtIn = loadModelYaml(join(repoRoot(), "store/models/pca/model.yaml"));
    const patched = structuredClone(builtIn);
    patched.spec.version = "1.1.0";
    const file = new ModelCatalog([]).register(state, patched);
    assert.equal(file, join(state, "catalog", "models", "pca.yaml"));
    const catalog = new ModelCatalog([join(state, "catalog", "models"), join(repoRoot(), "store/models")]);
    assert.deepEqual(catalog.get("pca"), patched);
    assert.equal(catalog.list().filter((m) => m.spec.slug === "pca").length, 1);
    assert.equal(catalog.list().find((m) => m.spec.slug === "pca")?.spec.version, "1.1.0");
  });

  test("register() refuses an invalid resource and leaves nothing behind", () => {
    const state = join(temp, "state-2");
    const bad = loadModelYaml(join(repoRoot(), "store/models/pca/model.yaml"));
    bad.spec.runtime.imageDigest = "sha256:short";
    assert.throws(() => new ModelCatalog([]).register(state, bad), (e: unknown) => e instanceof MultiverseError && e.code === "MV_BAD_MODEL" && /imageDigest/.test(e.message));
    assert.equal(existsSync(join(state, "catalog", "models", "pca.yaml")), false);
  });

  test("a definition in a directory named differently from its slug is still found", () => {
    const root = join(temp, "root-renamed");
    writeModel(minimal, {}, root, "some-dir");
    assert.equal(new ModelCatalog([root]).get("mine")?.spec.directory, join(root, "some-dir"));
  });

  test("get() by slug is not blocked by an unrelated broken definition; list() reports it", () => {
    const root = join(temp, "root-broken");
    writeModel(minimal, {}, root, "mine");
    writeModel("name: broken\n", {}, root, "broken");
    const catalog = new ModelCatalog([root]);
    assert.equal(catalog.get("mine")?.spec.slug, "mine");
    assert.throws(() => catalog.list(), (e: unknown) => e instanceof MultiverseError && e.location.file === join(root, "broken", "model.yaml"));
  });

  test("a registered entry that is not a valid Model resource is refused with its file", () => {
    const dir = join(temp, "state-3", "catalog", "models");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "x.yaml"), "apiVersion: multiverse.io/v1alpha1\nkind: Model\nmetadata: {name: x}\nspec: {slug: x, version: '1'}\n");
    assert.throws(() => new ModelCatalog([dir]).get("x"), (e: unknown) => e instanceof MultiverseError && e.location.file === join(dir, "x.yaml") && /missing required field "runtime"/.test(e.message));
  });
});
