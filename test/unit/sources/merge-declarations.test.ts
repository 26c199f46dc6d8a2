import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadResourceDocuments } from "../../../src/sources/load-documents.js";
import { mergeDeclarations, type FileDeclarations } from "../../../src/sources/merge-declarations.js";

const doc = (kind: string, name: string, spec: string) => `apiVersion: multiverse.io/v1alpha1\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
const bench = (name: string, seeds = "[0]") => doc("Benchmark", name, `{experimentName: ${name}, jobs: [{name: j, dataset: d, model: pca, seeds: ${seeds}}]}`);
const dataset = (name: string, path = `/data/${name}.h5mu`) => doc("Dataset", name, `{path: ${path}}`);

function declared(file: string, text: string, stale = false): FileDeclarations {
  return { file, ...loadResourceDocuments(text, file), stale };
}
const listed = (resources: { kind: string; name: string; file: string; stale: boolean }[]) => resources.map((r) => `${r.kind}/${r.name}@${r.file}${r.stale ? " (stale)" : ""}`);

describe("mergeDeclarations", () => {
  test("the same Benchmark in two files: the first by path wins, the second is a problem naming both files", () => {
    const merged = mergeDeclarations([declared("/w/b.yaml", bench("dup", "[5]")), declared("/w/a.yaml", bench("dup"))]);
    assert.deepEqual(listed(merged.resources), ["Benchmark/dup@/w/a.yaml"]);
    assert.equal(merged.problems.length, 1);
    const [problem] = merged.problems;
    assert.deepEqual([problem!.file, problem!.line, problem!.field, problem!.code], ["/w/b.yaml", 1, "metadata.name", "MV_DUPLICATE"]);
    assert.match(problem!.message, /Benchmark\/dup is already declared in \/w\/a\.yaml:1; this declaration is ignored/);
  });

  test("the ignored declaration's problem names the one acted on and carries it, so that one reports the conflict too", () => {
    const merged = mergeDeclarations([declared("/w/b.yaml", `${dataset("x")}---\n${bench("dup", "[5]")}`), declared("/w/a.yaml", bench("dup"))]);
    const [problem] = merged.problems;
    assert.deepEqual(problem!.duplicateOf, { kind: "Benchmark", name: "dup", file: "/w/a.yaml", line: 1 });
    assert.deepEqual([problem!.file, problem!.line], ["/w/b.yaml", 6]);
    assert.match(problem!.message, /the one in \/w\/a\.yaml:1 is acted on until one of the two is removed or renamed/);
  });

  test("two identical Benchmarks are still a conflict (deleting one file would not stop it)", () => {
    const merged = mergeDeclarations([declared("/w/a.yaml", bench("same")), declared("/w/b.yaml", bench("same"))]);
    assert.equal(merged.problems[0]?.code, "MV_DUPLICATE");
  });

  test("an identical inline Dataset in two files is one declaration; a different one is a conflict", () => {
    const same = mergeDeclarations([declared("/w/a.yaml", dataset("d")), declared("/w/b.yaml", dataset("d"))]);
    assert.deepEqual(listed(same.resources), ["Dataset/d@/w/a.yaml"]);
    assert.deepEqual(same.problems, []);
    const different = mergeDeclarations([declared("/w/a.yaml", dataset("d")), declared("/w/b.yaml", dataset("d", "/elsewhere.h5mu"))]);
    assert.deepEqual(listed(different.resources), ["Dataset/d@/w/a.yaml"]);
    assert.match(different.problems[0]!.message, /Dataset\/d is already declared in \/w\/a\.yaml/);
  });

  test("the same name under different kinds is no conflict", () => {
    const merged = mergeDeclarations([declared("/w/a.yaml", [dataset("x"), bench("x")].join("---\n"))]);
    assert.deepEqual(listed(merged.resources), ["Dataset/x@/w/a.yaml", "Benchmark/x@/w/a.yaml"]);
  });

  test("a stale file's resources are marked stale; files' problems and the tree's come out in path and line order", () => {
    const broken = declared("/w/c.yaml", `${bench("ok")}---\n${bench("bad", "zero")}`);
    const merged = mergeDeclarations(
      [broken, declared("/w/a.yaml", bench("a")), { ...declared("/w/b.yaml", bench("kept")), stale: true }],
      [{ file: "/w/b.yaml", code: "MV_FILE_NOT_FOUND", message: "cannot read /w/b.yaml" }],
    );
    assert.deepEqual(listed(merged.resources), ["Benchmark/a@/w/a.yaml", "Benchmark/kept@/w/b.yaml (stale)", "Benchmark/ok@/w/c.yaml"]);
    assert.deepEqual(merged.problems.map((p) => [p.file, p.line]), [["/w/b.yaml", undefined], ["/w/c.yaml", 9]]);
  });

  test("nothing declared is an empty state", () => {
    assert.deepEqual(mergeDeclarations([]), { resources: [], problems: [] });
  });
});
