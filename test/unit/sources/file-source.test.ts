import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSource } from "../../../src/sources/file-source.js";
import type { DesiredState } from "../../../src/sources/resource-source.js";

const benchmark = (name: string, seeds = "[0]", extra = "") =>
  `apiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata: {name: ${name}}\nspec:\n  experimentName: ${name}\n  jobs:\n    - {name: j, dataset: d, model: pca, seeds: ${seeds}}\n${extra}`;
const dataset = (name: string) => `apiVersion: multiverse.io/v1alpha1\nkind: Dataset\nmetadata: {name: ${name}}\nspec: {path: ${name}.h5mu}\n`;

/** A source under test and a way to wait for the next state matching a predicate. */
class Harness {
  states: DesiredState[] = [];
  private waiters: { predicate: (s: DesiredState) => boolean; resolve: (s: DesiredState) => void }[] = [];
  source: FileSource;
  constructor(readonly dir: string, options: { usePolling?: boolean } = {}) {
    this.source = new FileSource({ directory: dir, debounceMs: 30, settleMs: 120, ...options });
  }
  async start(): Promise<void> {
    await this.source.start((state) => {
      this.states.push(state);
      for (const w of [...this.waiters]) if (w.predicate(state)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(state);
      }
    });
  }
  next(what: string, predicate: (s: DesiredState) => boolean, timeoutMs = 5000): Promise<DesiredState> {
    const current = this.source.current();
    if (predicate(current)) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no state with ${what} within ${timeoutMs} ms; last: ${JSON.stringify(this.source.current(), null, 1).slice(0, 2000)}`)), timeoutMs);
      this.waiters.push({ predicate, resolve: (s) => (clearTimeout(timer), resolve(s)) });
    });
  }
}

const names = (s: DesiredState) => s.resources.map((r) => `${r.kind}/${r.name}${r.stale ? "(stale)" : ""}`).sort();

let dir: string;
let harness: Harness;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mv-source-"));
});
afterEach(async () => {
  await harness?.source.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("FileSource", () => {
  test("an empty or missing directory is an empty state; the directory is created", async () => {
    harness = new Harness(join(dir, "not-yet"));
    await harness.start();
    assert.ok(existsSync(join(dir, "not-yet")));
    assert.deepEqual(harness.states.map((s) => [s.revision, s.resources.length, s.problems.length]), [[1, 0, 0]], "the first state is handed out even when empty");
  });

  test("create, edit, rename and delete", async () => {
    writeFileSync(join(dir, "a.yaml"), benchmark("a"));
    harness = new Harness(dir);
    await harness.start();
    assert.deepEqual(names(harness.source.current()), ["Benchmark/a"]);
    const firstHash = harness.source.current().resources[0]!.specHash;

    writeFileSync(join(dir, "b.yml"), `${dataset("d1")}---\n${benchmark("b")}`);
    await harness.next("b created", (s) => names(s).join() === "Benchmark/a,Benchmark/b,Dataset/d1");

    writeFileSync(join(dir, "a.yaml"), benchmark("a", "[0, 1]"));
    const edited = await harness.next("a edited", (s) => s.resources.some((r) => r.name === "a" && r.specHash !== firstHash));
    assert.equal(edited.problems.length, 0);

    const before = harness.source.current().resources.find((r) => r.name === "a")!;
    renameSync(join(dir, "a.yaml"), join(dir, "renamed.yaml"));
    const renamed = await harness.next("a renamed", (s) => s.resources.some((r) => r.name === "a" && r.file.endsWith("renamed.yaml")));
    assert.equal(renamed.resources.find((r) => r.name === "a")!.specHash, before.specHash, "a rename is not a spec change");

    unlinkSync(join(dir, "b.yml"));
    await harness.next("b deleted", (s) => names(s).join() === "Benchmark/a");
    const revisions = harness.states.map((s) => s.revision);
    assert.deepEqual(revisions, [...revisions].sort((x, y) => x - y), "revisions only increase");
  });

  test("a broken file among good ones: its last good version stays in force, others are undisturbed", async () => {
    writeFileSync(join(dir, "good.yaml"), benchmark("good"));
    writeFileSync(join(dir, "fragile.yaml"), benchmark("fragile"));
    harness = new Harness(dir);
    await harness.start();
    writeFileSync(join(dir, "fragile.yaml"), benchmark("fragile", "[0]", "  jbos: []\n"));
    const broken = await harness.next("a problem", (s) => s.problems.length > 0);
    assert.deepEqual(names(broken), ["Benchmark/fragile(stale)", "Benchmark/good"]);
    const [problem] = broken.problems;
    assert.match(problem!.file, /fragile\.yaml$/);
    assert.equal(problem!.line, 8);
    assert.match(problem!.message, /jbos/);
    assert.match(problem!.message, /did you mean "jobs"/);

    writeFileSync(join(dir, "fragile.yaml"), "apiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata: {name: fragile\n");
    const syntax = await harness.next("a syntax error", (s) => s.problems.some((p) => p.code === "MV_YAML_SYNTAX"));
    assert.deepEqual(names(syntax), ["Benchmark/fragile(stale)", "Benchmark/good"]);

    writeFileSync(join(dir, "fragile.yaml"), benchmark("fragile", "[0, 2]"));
    const fixed = await harness.next("fixed", (s) => s.problems.length === 0 && s.resources.length === 2 && s.resources.every((r) => !r.stale));
    assert.deepEqual(names(fixed), ["Benchmark/fragile", "Benchmark/good"]);
  });

  test("a partial write never deletes what the file declared: the old version holds until the file settles", async () => {
    writeFileSync(join(dir, "two.yaml"), `${benchmark("first")}---\n${benchmark("second")}`);
    harness = new Harness(dir);
    await harness.start();
    assert.deepEqual(names(harness.source.current()), ["Benchmark/first", "Benchmark/second"]);
    // The first half is a complete, valid document on its own: only settling tells it apart from the whole.
    writeFileSync(join(dir, "two.yaml"), `${benchmark("first", "[0, 1]")}---\n`);
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(names(harness.source.current()), ["Benchmark/first", "Benchmark/second"], "nothing changed while the file was being written");
    writeFileSync(join(dir, "two.yaml"), `${benchmark("first", "[0, 1]")}---\n${benchmark("second")}`);
    const settled = await harness.next("the whole file", (s) => s.resources.find((r) => r.name === "first")?.specHash !== undefined && s.revision > 1);
    assert.deepEqual(names(settled), ["Benchmark/first", "Benchmark/second"]);
    assert.ok(harness.states.every((s) => s.resources.some((r) => r.name === "second")), "second was never missing from any state handed out");
  });

  test("editor swap files, dotfiles and non-YAML files are ignored", async () => {
    harness = new Harness(dir);
    await harness.start();
    for (const name of [".a.yaml.swp", "a.yaml~", ".hidden.yaml", "4913", "notes.txt", "#a.yaml#", "b.yaml.tmp"]) writeFileSync(join(dir, name), benchmark("ghost"));
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, ".git", "x.yaml"), benchmark("ghost2"));
    writeFileSync(join(dir, "real.yaml"), benchmark("real"));
    const state = await harness.next("real", (s) => s.resources.length > 0);
    assert.deepEqual(names(state), ["Benchmark/real"]);
  });

  test("the same resource in two files: the first by path wins and the second is a problem naming both", async () => {
    writeFileSync(join(dir, "a.yaml"), benchmark("dup"));
    writeFileSync(join(dir, "b.yaml"), benchmark("dup", "[5]"));
    harness = new Harness(dir);
    await harness.start();
    const state = harness.source.current();
    assert.equal(state.resources.length, 1);
    assert.match(state.resources[0]!.file, /a\.yaml$/);
    assert.match(state.problems[0]!.message, /already declared in .*a\.yaml:1/);
    assert.match(state.problems[0]!.file, /b\.yaml$/);
  });

  test("symlinks are followed inside the tree and refused when they escape it", async () => {
    const outside = mkdtempSync(join(tmpdir(), "mv-outside-"));
    try {
      writeFileSync(join(outside, "evil.yaml"), benchmark("evil"));
      mkdirSync(join(dir, "sub"));
      writeFileSync(join(dir, "sub", "inner.yaml"), benchmark("inner"));
      symlinkSync(join(dir, "sub", "inner.yaml"), join(dir, "link.yaml"));
      symlinkSync(join(outside, "evil.yaml"), join(dir, "escape.yaml"));
      symlinkSync(dir, join(dir, "sub", "loop"));
      harness = new Harness(dir);
      await harness.start();
      const state = harness.source.current();
      assert.deepEqual(names(state), ["Benchmark/inner"], "the in-tree link duplicates inner (a problem); the escaping one is refused");
      assert.ok(state.problems.some((p) => p.code === "MV_PATH_ESCAPE" && /escape\.yaml/.test(p.file)));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test("a checkout that switches commits (every file rewritten, some gone, some new) converges to exactly the new set", async () => {
    for (const n of ["one", "two", "three"]) writeFileSync(join(dir, `${n}.yaml`), benchmark(n));
    harness = new Harness(dir);
    await harness.start();
    const staging = mkdtempSync(join(tmpdir(), "mv-commit-"));
    for (const n of ["two", "four", "five"]) writeFileSync(join(staging, `${n}.yaml`), benchmark(n, "[9]"));
    const old = old_dir(dir);
    renameSync(dir, old);
    renameSync(staging, dir);
    rmSync(old, { recursive: true, force: true });
    const state = await harness.next("the new commit", (s) => names(s).join() === "Benchmark/five,Benchmark/four,Benchmark/two", 8000);
    assert.ok(state.resources.every((r) => r.resource.kind === "Benchmark"));
  });

  test("with polling, a rescan also catches changes the watcher cannot see (files with old timestamps)", async () => {
    harness = new Harness(dir, { usePolling: true });
    await harness.start();
    writeFileSync(join(dir, "old.yaml"), benchmark("old"));
    utimesSync(join(dir, "old.yaml"), new Date(0), new Date(0));
    await harness.next("old", (s) => s.resources.some((r) => r.name === "old"));
  });
});

function old_dir(path: string): string {
  return `${path}.old`;
}
