/** Each error is declared once, with its code, CLI exit code and HTTP status; nothing else spells a code out. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { declarationOf, Errors, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_RUN_FAILED, isMultiverseError } from "../../../src/domain/errors.js";
import { repoRoot } from "../../../src/util/paths.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("declared errors", () => {
  const declared = Object.entries(Errors);

  test("every declared error has a code, an exit code and an HTTP status", () => {
    assert.ok(declared.length >= 25);
    for (const [name, factory] of declared) {
      assert.match(factory.code, /^MV_[A-Z][A-Z0-9_]*$/, name);
      assert.ok([EXIT_RUN_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL].includes(factory.exit), `${name}: exit ${factory.exit}`);
      assert.ok(Number.isInteger(factory.http) && factory.http >= 400 && factory.http <= 599, `${name}: HTTP ${factory.http}`);
    }
  });

  test("codes are unique, and each resolves back to its own declaration", () => {
    const codes = declared.map(([, factory]) => factory.code);
    assert.equal(new Set(codes).size, codes.length, `duplicated: ${codes.filter((c, i) => codes.indexOf(c) !== i).join(", ")}`);
    for (const [name, factory] of declared) assert.equal(declarationOf(factory.code), factory, name);
    assert.equal(declarationOf("MV_NEVER_DECLARED"), undefined);
  });

  test("a factory makes an error with the declared code and exit code, keeping location, details and cause", () => {
    const cause = new Error("underneath");
    for (const [name, factory] of declared) {
      const error = factory("what went wrong", { location: { file: "m.yaml", line: 3 }, details: ["hint"], cause });
      assert.ok(isMultiverseError(error), name);
      assert.deepEqual([error.code, error.exitCode, error.message, error.details, error.cause], [factory.code, factory.exit, "what went wrong", ["hint"], cause], name);
      assert.equal(error.format(), `m.yaml:3: what went wrong [${factory.code}]\n  - hint`);
    }
  });

  test("user mistakes exit 2, failures 1, bugs 70; the statuses follow the kind", () => {
    assert.deepEqual([Errors.usage.exit, Errors.usage.http], [EXIT_BAD_INPUT, 400]);
    assert.deepEqual([Errors.notFound.exit, Errors.notFound.http], [EXIT_BAD_INPUT, 404]);
    assert.deepEqual([Errors.ambiguous.http, Errors.unauthorized.http, Errors.forbidden.http, Errors.notReady.http], [409, 401, 403, 503]);
    assert.deepEqual([Errors.journalCorrupt.exit, Errors.indexDrift.http], [EXIT_RUN_FAILED, 503]);
    assert.deepEqual([Errors.internal.exit, Errors.internal.http], [EXIT_INTERNAL, 500]);
  });

  test("no source file spells an error code as a string literal: codes come from their declaration", () => {
    const root = repoRoot();
    const offenders = ["src", "controllers", "reconcilers"]
      .flatMap((dir) => sourceFiles(join(root, dir)))
      .filter((file) => file !== join(root, "src", "domain", "errors.ts"))
      .flatMap((file) =>
        readFileSync(file, "utf8")
          .split("\n")
          .flatMap((line, i) => (/["'`]MV_[A-Z_]+["'`]/.test(line) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : [])),
      );
    assert.deepEqual(offenders, []);
  });
});
