/**
 * `multiverse run` on the bad manifests of issue 10, through the real CLI: exit 2, one located line
 * (file:line:column: field: message [CODE]), no stack trace, nothing launched (--dry-run keeps it quick).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliSync } from "../../helpers/cli.js";
import { repoRoot } from "../../../src/util/paths.js";

const DATASET = join(repoRoot(), "data", "generated", "demo-rna.h5mu");
let dir = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "mv-cli-bad-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function runOn(name: string, content: string | Buffer, flags: string[] = [], env: Record<string, string> = {}): { stderr: string; file: string } {
  const file = join(dir, name);
  writeFileSync(file, content);
  const result = cliSync(["run", ...flags, "--manifest", file, "--output", join(dir, `out-${name}`), "--dry-run", "--backend", "local"], env);
  assert.equal(result.code, 2, `exit 2 for ${name}, got ${result.code}\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
  assert.doesNotMatch(result.stderr, /internal error/);
  return { stderr: result.stderr, file };
}

const located = (file: string, line: number, column: number, field: string) => new RegExp(`${file.replace(/[.]/g, "\\.")}:${line}:${column}: ${field.replace(/[[\]().]/g, "\\$&")}: `);
const simple = (job: string) => `jobs:\n  - name: demo\n    model: {slug: pca, version: "1.0.0", image: multiverse-pca:1.0.0}\n    dataset: {slug: demo-rna, path: ${DATASET}}\n${job}`;
const runManifest = (job: string, top = "") => `${top}globals: {experiment_name: e}\ndatasets:\n  d: {path: ${DATASET}}\njobs:\n  - dataset_slug: d\n    model_name: pca\n${job}`;

describe("multiverse run refuses bad manifests with a located error and exit 2 (issue 10)", () => {
  test("item 5: simple-mode params are checked against the model's schema", () => {
    const { stderr, file } = runOn("params.yaml", simple("    params: {n_components: -5}\n"), ["--simple"]);
    assert.match(stderr, located(file, 5, 28, "jobs[0].params.n_components"));
    assert.match(stderr, /must be >= 2, got -5 \[MV_HYPERPARAMETERS\]/);
  });

  test("item 6: a job name that cannot name a directory", () => {
    const { stderr, file } = runOn("name.yaml", simple("").replace("name: demo", 'name: ".."'), ["--simple"]);
    assert.match(stderr, located(file, 2, 11, "jobs[0].name"));
  });

  test("item 7: a billion-laughs file", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...["b", "c", "d", "e", "f"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcde"[i]}`).join(", ")}]`)].join("\n");
    const { stderr, file } = runOn("bomb.yaml", bomb);
    assert.match(stderr, located(file, 1, 1, "(document)"));
    assert.match(stderr, /alias bomb.*\[MV_YAML_SYNTAX\]/);
  });

  test("item 8: a manifest over the size limit names the limit and how to raise it", () => {
    const { stderr } = runOn("big.yaml", runManifest("    seeds: [0]\n".repeat(1)).padEnd(5000, "#"), [], { MULTIVERSE_MANIFEST_MAX_BYTES: "4096" });
    assert.match(stderr, /more than a manifest may hold/);
    assert.match(stderr, /set MULTIVERSE_MANIFEST_MAX_BYTES=\d+ to raise it/);
  });

  test("item 9: image_sif on the local backend", () => {
    const { stderr, file } = runOn("sif.yaml", runManifest("    image_sif: ../../../../etc/shadow\n"));
    assert.match(stderr, located(file, 7, 16, "jobs[0].image_sif"));
    assert.match(stderr, /backend "local"/);
  });

  test("item 10: malformed image references, each named at its line (the first as the message, the others as details)", () => {
    const images = ['"Bad Image!!"', '"UPPER/Case:tag"', '"x:y:z@sha256:zz"', '"?all=1"'];
    const jobs = images.map((image, i) => `  - name: j${i}\n    model: {slug: pca, version: "1.0.0", image: ${image}}\n    dataset: {slug: demo-rna, path: ${DATASET}}\n`).join("");
    const { stderr, file } = runOn("images.yaml", `jobs:\n${jobs}`, ["--simple"]);
    images.forEach((_, i) => assert.match(stderr, located(file, 3 + 3 * i, 49, `jobs[${i}].model.image`), stderr));
    assert.equal(stderr.match(/is not a valid image reference/g)?.length, 4);
  });

  test("item 17: an unknown model and a dataset file that does not exist name the manifest line", () => {
    const model = runOn("model.yaml", runManifest("").replace("model_name: pca", "model_name: nosuch"));
    assert.match(model.stderr, located(model.file, 6, 17, "jobs[0].model_name"));
    const data = runOn("data.yaml", runManifest("").replace(DATASET, "missing.h5mu"));
    assert.match(data.stderr, located(data.file, 3, 13, "datasets.d.path"));
    assert.match(data.stderr, /does not exist/);
  });

  test("item 17: UTF-16, binary and multi-document files", () => {
    const utf16 = runOn("utf16.yaml", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(runManifest(""), "utf16le")]));
    assert.match(utf16.stderr, new RegExp(`${utf16.file.replace(/[.]/g, "\\.")}:1:1: .*UTF-16`));
    const binary = runOn("bin.yaml", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00]));
    assert.match(binary.stderr, new RegExp(`${binary.file.replace(/[.]/g, "\\.")}:1:8: .*NUL byte`));
    const multi = runOn("multi.yaml", `${runManifest("")}---\nfoo: 1\n`);
    assert.match(multi.stderr, located(multi.file, 8, 1, "(document)"));
  });

  test("item 19: invalid UTF-8, cpus: .inf and schema_version \"99\"", () => {
    const latin1 = runOn("latin1.yaml", Buffer.concat([Buffer.from('globals: {experiment_name: "caf'), Buffer.from([0xe9]), Buffer.from('"}\njobs: [{dataset_slug: d, model_name: pca}]\n')]));
    assert.match(latin1.stderr, new RegExp(`${latin1.file.replace(/[.]/g, "\\.")}:1:32: the manifest is not valid UTF-8`));
    const both = runOn("inf.yaml", runManifest("    cpus: .inf\n", 'schema_version: "99"\n'));
    assert.match(both.stderr, located(both.file, 1, 17, "schema_version"));
    assert.match(both.stderr, new RegExp(`${both.file.replace(/[.]/g, "\\.")}:8:11: jobs\\[0\\]\\.cpus: expected a finite number, got \\.inf`));
  });
});
