import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { locate, parseYamlDocuments } from "../../../src/manifest/yaml-documents.js";
import { formatMemLimit, parseMemLimit } from "../../../src/manifest/mem-limit.js";
import { MultiverseError } from "../../../src/domain/errors.js";

describe("YAML documents with positions", () => {
  const text = "# header\na: 1\n---\nkind: X\nspec:\n  jobs:\n    - name: j\n      seeds: [1, 2]\n";

  test("every document knows its index and first line", () => {
    const docs = parseYamlDocuments(text, "f.yaml");
    assert.deepEqual(docs.map((d) => [d.index, d.line, d.value]), [
      [0, 2, { a: 1 }],
      [1, 4, { kind: "X", spec: { jobs: [{ name: "j", seeds: [1, 2] }] } }],
    ]);
  });

  test("locate finds nested nodes, and the nearest existing ancestor for missing ones", () => {
    const doc = parseYamlDocuments(text, "f.yaml")[1]!;
    assert.deepEqual(locate(doc, ["spec", "jobs", 0, "seeds", 1]), { line: 8, column: 18 });
    assert.deepEqual(locate(doc, ["spec", "jobs", 0, "name"]), { line: 7, column: 13 });
    assert.deepEqual(locate(doc, ["spec", "jobs", 0, "missing"]), { line: 7, column: 7 });
    assert.deepEqual(locate(doc, ["spec", "jobs", 5]), { line: 6, column: 3 });
    assert.deepEqual(locate(doc, []), { line: 4, column: 1 });
  });

  test("syntax errors carry file, line and column", () => {
    assert.throws(
      () => parseYamlDocuments("a: 1\nb: [1, 2\n", "f.yaml"),
      (e: unknown) => e instanceof MultiverseError && e.code === "MV_YAML_SYNTAX" && e.location.file === "f.yaml" && e.location.line !== undefined && e.location.column !== undefined,
    );
  });

  test("an alias bomb is refused instead of expanded", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");
    assert.throws(() => parseYamlDocuments(bomb, "bomb.yaml"));
  });
});

describe("mem_limit", () => {
  const good: [string | number, number][] = [
    ["512m", 512 * 1024 ** 2],
    ["4g", 4 * 1024 ** 3],
    ["1.5g", 1.5 * 1024 ** 3],
    ["5000k", 5000 * 1024],
    ["2Gi", 2 * 1024 ** 3],
    ["512MB", 512 * 1024 ** 2],
    [8388608, 8388608],
    ["8388608", 8388608],
  ];
  for (const [value, bytes] of good) test(`parses ${JSON.stringify(value)}`, () => assert.equal(parseMemLimit(value), bytes));

  for (const value of ["lots", "", "-1g", "1x", "1.5", 1.5, 0, -5, "100k"]) {
    test(`refuses ${JSON.stringify(value)}`, () => assert.throws(() => parseMemLimit(value), (e: unknown) => e instanceof MultiverseError && e.code === "MV_SCHEMA"));
  }

  test("formats the shortest exact Docker spelling", () => {
    assert.deepEqual([formatMemLimit(2 * 1024 ** 3), formatMemLimit(1.5 * 1024 ** 3), formatMemLimit(5000 * 1024), formatMemLimit(4194305)], ["2g", "1536m", "5000k", "4194305"]);
  });
});
