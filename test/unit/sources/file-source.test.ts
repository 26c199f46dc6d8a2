import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSource, type FileSourceOptions } from "../../../src/sources/file-source.js";
import type { DesiredState } from "../../../src/sources/resource-source.js";
import { pauseUnlessExited } from "../../helpers/wait.js";

const benchmark = (name: string, seeds = "[0]", extra = "") =>
  `apiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata: {name: ${name}}\nspec:\n  experimentName: ${name}\n  jobs:\n    - {name: j, dataset: d, model: pca, seeds: ${seeds}}\n${extra}`;
const dataset = (name: string) => `apiVersion: multiverse.io/v1alpha1\nkind: Dataset\nmetadata: {name: ${name}}\nspec: {path: ${name}.h5mu}\n`;
const DEBOUNCE_MS = 30;
const SETTLE_MS = 120;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A source under test, every state it handed out, and a way to wait for a state matching a predicate. */
class Harness {
  readonly states: DesiredState[] = [];
  readonly source: FileSource;
  private waiters: { predicate: (s: DesiredState) => boolean; resolve: (s: DesiredState) => void }[] = [];

  constructor(readonly dir: string, options: Partial<FileSourceOptions> = {}) {
    this.source = new FileSource({ directory: dir, debounceMs: DEBOUNCE_MS, settleMs: SETTLE_MS, ...options });
  }

  async start(): Promise<void> {
    await this.source.start((state) => {
      this.states.push(state);
      for (const waiter of [...this.waiters]) {
        if (!waiter.predicate(state)) continue;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(state);
      }
    });
  }

  /** The current state if it matches, else the next one handed out that does. */
  until(what: string, predicate: (s: DesiredState) => boolean, timeoutMs = 30_000): Promise<DesiredState> {
    const current = this.source.current();
    if (predicate(current)) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.predicate !== predicate);
        reject(new Error(`no state with ${what} within ${timeoutMs} ms; the last one: ${JSON.stringify(summary(this.source.current()))}`));
      }, timeoutMs);
      this.waiters.push({ predicate, resolve: (s) => (clearTimeout(timer), resolve(s)) });
    });
  }

  /** Asserts that no state is handed out for `ms` (long enough for a debounce and a settle to pass). */
  async quiet(what: string, ms = 4 * SETTLE_MS): Promise<void> {
    const before = this.states.length;
    await sleep(ms);
    assert.deepEqual(this.states.slice(before).map(summary), [], what);
  }
}

const names = (s: DesiredState) => s.resources.map((r) => `${r.kind}/${r.name}${r.stale ? " (stale)" : ""}`).sort();
const summary = (s: DesiredState) => ({ revision: s.revision, resources: names(s), problems: s.problems.map((p) => `${p.file}:${p.line ?? ""}: ${p.code}: ${p.message}`) });
const hashOf = (s: DesiredState, name: string) => s.resources.find((r) => r.name === name)?.specHash;

let dir: string;
let harness: Harness | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mv-source-"));
});
afterEach(async () => {
  await harness?.source.stop();
  harness = undefined;
  rmSync(dir, { recursive: true, force: true });
  for (const extra of [`${dir}.old`, `${dir}.new`]) rmSync(extra, { recursive: true, force: true });
});

describe("FileSource", () => {
  test("a missing directory is created; an empty one is an empty state, handed out once", async () => {
    harness = new Harness(join(dir, "not", "yet"));
    await harness.start();
    assert.ok(existsSync(join(dir, "not", "yet")));
    await harness.quiet("an empty directory is one state");
    assert.deepEqual(harness.states.map(summary), [{ revision: 1, resources: [], problems: [] }]);
  });

  test("create, edit (a new spec hash), rename (the same hash, another file) and delete", async () => {
    writeFileSync(join(dir, "a.yaml"), benchmark("a"));
    harness = new Harness(dir);
    await harness.start();
    assert.deepEqual(names(harness.source.current()), ["Benchmark/a"], "start() hands out the first state before it resolves");
    const firstHash = hashOf(harness.source.current(), "a");

    writeFileSync(join(dir, "b.yml"), `${dataset("d1")}---\n${benchmark("b")}`);
    const created = await harness.until("b created", (s) => names(s).includes("Benchmark/b"));
    assert.deepEqual(names(created), ["Benchmark/a", "Benchmark/b", "Dataset/d1"]);
    assert.equal(created.resources.find((r) => r.name === "b")!.line, 6);

    writeFileSync(join(dir, "a.yaml"), benchmark("a", "[0, 1]"));
    const edited = await harness.until("a edited", (s) => hashOf(s, "a") !== firstHash);
    assert.deepEqual(edited.problems, []);
    const editedHash = hashOf(edited, "a");

    const renamedFrom = harness.states.length;
    renameSync(join(dir, "a.yaml"), join(dir, "renamed.yaml"));
    const renamed = await harness.until("a renamed", (s) => s.resources.some((r) => r.name === "a" && r.file === join(dir, "renamed.yaml")));
    assert.equal(hashOf(renamed, "a"), editedHash, "a rename is not a spec change");
    assert.ok(harness.states.slice(renamedFrom).every((s) => names(s).includes("Benchmark/a")), "the renamed Benchmark was never missing");

    unlinkSync(join(dir, "b.yml"));
    const deleted = await harness.until("b deleted", (s) => !names(s).includes("Benchmark/b"));
    assert.deepEqual(names(deleted), ["Benchmark/a"]);
    const revisions = harness.states.map((s) => s.revision);
    assert.deepEqual(revisions, revisions.map((_, i) => i + 1), "revisions count the states handed out");
  });

  test("a broken file among good ones: its last good version stays in force (stale) with its problem; the others are untouched", async () => {
    writeFileSync(join(dir, "good.yaml"), benchmark("good"));
    writeFileSync(join(dir, "fragile.yaml"), benchmark("fragile"));
    harness = new Harness(dir);
    await harness.start();
    const goodBefore = harness.source.current().resources.find((r) => r.name === "good");

    writeFileSync(join(dir, "fragile.yaml"), benchmark("fragile", "[0]", "  jbos: []\n"));
    const broken = await harness.until("a schema problem", (s) => s.problems.length > 0);
    assert.deepEqual(names(broken), ["Benchmark/fragile (stale)", "Benchmark/good"]);
    assert.deepEqual(broken.resources.find((r) => r.name === "good"), goodBefore, "the good file's resource is exactly as before");
    assert.equal(broken.problems.length, 1);
    const [problem] = broken.problems;
    assert.deepEqual([problem!.file, problem!.line, problem!.column, problem!.field, problem!.code], [join(dir, "fragile.yaml"), 8, 3, "spec.jbos", "MV_SCHEMA"]);
    assert.match(problem!.message, /did you mean "jobs"/);

    writeFileSync(join(dir, "fragile.yaml"), "apiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata:\n  name: \"fragile\nspec: {}\n");
    const syntax = await harness.until("a syntax error", (s) => s.problems.some((p) => p.code === "MV_YAML_SYNTAX"));
    assert.deepEqual(names(syntax), ["Benchmark/fragile (stale)", "Benchmark/good"]);
    assert.equal(syntax.problems[0]!.line, 4);

    writeFileSync(join(dir, "fragile.yaml"), benchmark("fragile", "[0, 2]"));
    const fixed = await harness.until("fixed", (s) => s.problems.length === 0);
    assert.deepEqual(names(fixed), ["Benchmark/fragile", "Benchmark/good"]);
    assert.ok(harness.states.every((s) => names(s).includes("Benchmark/good") && names(s).some((n) => n.startsWith("Benchmark/fragile"))));
  });

  test("in a file with one bad document, the good documents' last versions survive the file breaking completely", async () => {
    writeFileSync(join(dir, "multi.yaml"), `${benchmark("keep")}---\n${benchmark("bad", "zero")}`);
    harness = new Harness(dir);
    await harness.start();
    assert.deepEqual(names(harness.source.current()), ["Benchmark/keep"]);
    assert.equal(harness.source.current().problems[0]!.field, "spec.jobs[0].seeds");
    writeFileSync(join(dir, "multi.yaml"), `${benchmark("keep")}---\nkind: [unclosed\n`);
    const broken = await harness.until("a syntax error", (s) => s.problems.some((p) => p.code === "MV_YAML_SYNTAX"));
    assert.deepEqual(names(broken), ["Benchmark/keep (stale)"]);
  });

  test("a partial write finished quickly is never seen: no deletion, no problem, then the new version", async () => {
    writeFileSync(join(dir, "two.yaml"), `${benchmark("first")}---\n${benchmark("second")}`);
    // A settle time far above the pause between the two writes, so a slow machine cannot stretch that pause past it.
    harness = new Harness(dir, { settleMs: 2000 });
    await harness.start();
    const before = harness.source.current();
    // The first half is a valid file on its own: only settling tells it apart from the whole.
    writeFileSync(join(dir, "two.yaml"), `${benchmark("first", "[0, 1]")}---\n`);
    await sleep(DEBOUNCE_MS * 2);
    writeFileSync(join(dir, "two.yaml"), `${benchmark("first", "[0, 1]")}---\n${benchmark("second")}`);
    const settled = await harness.until("the whole file", (s) => hashOf(s, "first") !== hashOf(before, "first"));
    assert.deepEqual(names(settled), ["Benchmark/first", "Benchmark/second"]);
    assert.deepEqual(harness.states.map((s) => [names(s).join(), s.problems.length]), [
      ["Benchmark/first,Benchmark/second", 0],
      ["Benchmark/first,Benchmark/second", 0],
    ], "exactly one new state, the complete file");
  });

  test("a complete file renamed into the tree is handed out without waiting out the settle time; one written in place waits", async () => {
    // A settle time far longer than the waits below: a state that came only after it would time them out.
    harness = new Harness(dir, { settleMs: 120_000, maxHoldMs: 240_000 });
    await harness.start();
    const staged = `${dir}.new`;
    mkdirSync(staged);
    writeFileSync(join(staged, "dropped.yaml"), `${dataset("d")}---\n${benchmark("dropped")}`);
    utimesSync(join(staged, "dropped.yaml"), new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    renameSync(join(staged, "dropped.yaml"), join(dir, "dropped.yaml"));
    const arrived = await harness.until("the renamed file", (s) => names(s).includes("Benchmark/dropped"), 60_000);
    assert.deepEqual(arrived.problems, []);
    writeFileSync(join(dir, "fresh.yaml"), benchmark("fresh"));
    await harness.quiet("a file written moments ago is still being written", 6 * DEBOUNCE_MS + 500);
    assert.ok(!names(harness.source.current()).includes("Benchmark/fresh"));
  });

  test("a partial write that stalls: a problem while broken, the old resources stay (stale), then the whole file", async () => {
    const whole = `${benchmark("first", "[0, 1]")}---\n${benchmark("second", "[3]")}`;
    writeFileSync(join(dir, "two.yaml"), `${benchmark("first")}---\n${benchmark("second")}`);
    harness = new Harness(dir);
    await harness.start();
    const half = whole.slice(0, whole.indexOf("seeds: [3]") - 12); // cut inside the second document's flow mapping
    writeFileSync(join(dir, "two.yaml"), half);
    const broken = await harness.until("the half file's problem", (s) => s.problems.length > 0);
    assert.deepEqual(names(broken), ["Benchmark/first (stale)", "Benchmark/second (stale)"]);
    assert.equal(broken.problems[0]!.code, "MV_YAML_SYNTAX");
    assert.equal(broken.problems[0]!.file, join(dir, "two.yaml"));
    writeFileSync(join(dir, "two.yaml"), whole);
    const complete = await harness.until("the whole file", (s) => s.problems.length === 0 && s.revision > broken.revision);
    assert.deepEqual(names(complete), ["Benchmark/first", "Benchmark/second"]);
    assert.ok(harness.states.every((s) => names(s).some((n) => n.startsWith("Benchmark/second"))), "second was in every state handed out");
  });

  test("editor swap files, backups, dotfiles, dot-directories and non-YAML files are ignored", async () => {
    harness = new Harness(dir);
    await harness.start();
    for (const name of [".a.yaml.swp", ".a.yaml.swo", "a.yaml~", ".hidden.yaml", "4913", "notes.txt", "#a.yaml#", ".#a.yaml", "b.yaml.tmp", "c.yaml.bak"]) {
      writeFileSync(join(dir, name), benchmark("ghost"));
    }
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, ".git", "x.yaml"), benchmark("ghost2"));
    await harness.quiet("nothing but ignored files changed");
    writeFileSync(join(dir, "real.yaml"), benchmark("real"));
    const state = await harness.until("real", (s) => s.resources.length > 0);
    assert.deepEqual(names(state), ["Benchmark/real"]);
    assert.deepEqual(state.problems, []);
  });

  test("the same resource in two files: the first by path wins and the second is a problem naming both", async () => {
    mkdirSync(join(dir, "z"));
    writeFileSync(join(dir, "a.yaml"), benchmark("dup"));
    writeFileSync(join(dir, "z", "b.yaml"), benchmark("dup", "[5]"));
    harness = new Harness(dir);
    await harness.start();
    const state = harness.source.current();
    assert.deepEqual(state.resources.map((r) => r.file), [join(dir, "a.yaml")]);
    assert.equal(state.problems.length, 1);
    assert.deepEqual([state.problems[0]!.file, state.problems[0]!.code], [join(dir, "z", "b.yaml"), "MV_DUPLICATE"]);
    assert.match(state.problems[0]!.message, new RegExp(`already declared in ${join(dir, "a.yaml")}:1`));
    unlinkSync(join(dir, "a.yaml"));
    const after = await harness.until("the other file's version", (s) => s.resources.some((r) => r.file === join(dir, "z", "b.yaml")));
    assert.deepEqual(after.problems, []);
  });

  test("symlinks are followed inside the tree and refused when they leave it; a loop is harmless", async () => {
    const outside = mkdtempSync(join(tmpdir(), "mv-outside-"));
    try {
      writeFileSync(join(outside, "evil.yaml"), benchmark("evil"));
      mkdirSync(join(dir, "sub"));
      mkdirSync(join(dir, "shared"));
      writeFileSync(join(dir, "shared", "inner.yaml"), dataset("inner"));
      // Beside its target, so that the Dataset's relative path resolves to the same file (no conflict).
      symlinkSync(join(dir, "shared", "inner.yaml"), join(dir, "shared", "link.yaml"));
      symlinkSync(join(outside, "evil.yaml"), join(dir, "escape.yaml"));
      symlinkSync(outside, join(dir, "escape-dir"));
      symlinkSync(dir, join(dir, "sub", "loop"));
      symlinkSync(join(dir, "missing.yaml"), join(dir, "dangling.yaml"));
      harness = new Harness(dir);
      await harness.start();
      const state = harness.source.current();
      assert.deepEqual(names(state), ["Dataset/inner"], "the in-tree link declares the same Dataset (no conflict), nothing from outside counts");
      assert.deepEqual(state.problems.map((p) => [p.file, p.code]), [
        [join(dir, "dangling.yaml"), "MV_FILE_NOT_FOUND"],
        [join(dir, "escape-dir"), "MV_PATH_ESCAPE"],
        [join(dir, "escape.yaml"), "MV_PATH_ESCAPE"],
      ]);
      writeFileSync(join(dir, "shared", "inner.yaml"), dataset("renamed"));
      await harness.until("the link's target edited", (s) => names(s).join() === "Dataset/renamed");
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test("a checkout that switches commits (files rewritten, deleted and added in a burst) is handed out as one state", async () => {
    for (let i = 0; i < 10; i += 1) writeFileSync(join(dir, `b${i}.yaml`), benchmark(`b${i}`));
    harness = new Harness(dir);
    await harness.start();
    const oldHash = hashOf(harness.source.current(), "b0");
    // The new commit: b0-b4 change, b5-b9 are gone, c0-c4 are new; a Benchmark also moves from b9 to c4.
    for (let i = 0; i < 5; i += 1) writeFileSync(join(dir, `b${i}.yaml`), benchmark(`b${i}`, "[1]"));
    for (let i = 5; i < 10; i += 1) unlinkSync(join(dir, `b${i}.yaml`));
    for (let i = 0; i < 5; i += 1) writeFileSync(join(dir, `c${i}.yaml`), benchmark(i === 4 ? "b9" : `c${i}`));
    const expected = ["b0", "b1", "b2", "b3", "b4", "b9", "c0", "c1", "c2", "c3"].map((n) => `Benchmark/${n}`);
    const state = await harness.until("the new commit", (s) => names(s).join() === expected.join());
    await harness.quiet("nothing after the new commit");
    assert.equal(harness.states.length, 2, `one state for the whole checkout, got ${JSON.stringify(harness.states.map(summary))}`);
    assert.notEqual(hashOf(state, "b0"), oldHash, "the rewritten files are read again");
    assert.equal(state.resources.find((r) => r.name === "b9")!.file, join(dir, "c4.yaml"));
  });

  test("the directory renamed over by a prepared one converges to exactly the new set, and the new directory is watched", async () => {
    for (const n of ["one", "two", "three"]) writeFileSync(join(dir, `${n}.yaml`), benchmark(n));
    harness = new Harness(dir);
    await harness.start();
    const staging = `${dir}.new`;
    mkdirSync(staging);
    for (const n of ["two", "four", "five"]) writeFileSync(join(staging, `${n}.yaml`), benchmark(n, "[9]"));
    const swappedAt = harness.states.length;
    renameSync(dir, `${dir}.old`);
    renameSync(staging, dir);
    const state = await harness.until("the new directory", (s) => names(s).join() === "Benchmark/five,Benchmark/four,Benchmark/two");
    assert.deepEqual(state.problems, []);
    assert.ok(harness.states.slice(swappedAt).every((s) => names(s).some((n) => n.startsWith("Benchmark/two"))), "two was in every state");
    writeFileSync(join(dir, "six.yaml"), benchmark("six"));
    await harness.until("a file added to the new directory", (s) => names(s).includes("Benchmark/six"));
    writeFileSync(join(`${dir}.old`, "ghost.yaml"), benchmark("ghost"));
    await harness.quiet("the old directory is no longer watched");
  });

  test("a git-sync style symlink swap of the watched directory is followed without polling", async () => {
    // Revisions away from the link's directory, so only a watch on the link's own entry can see the swap.
    const [rev1, rev2] = [join(dir, "worktrees", "rev1"), join(dir, "worktrees", "rev2")];
    mkdirSync(rev1, { recursive: true });
    mkdirSync(rev2);
    writeFileSync(join(rev1, "a.yaml"), benchmark("a"));
    writeFileSync(join(rev2, "a.yaml"), benchmark("a", "[2]"));
    writeFileSync(join(rev2, "b.yaml"), benchmark("b"));
    mkdirSync(join(dir, "links"));
    const link = join(dir, "links", "current");
    symlinkSync(rev1, link);
    harness = new Harness(link);
    await harness.start();
    assert.deepEqual(names(harness.source.current()), ["Benchmark/a"]);
    await harness.quiet("the start has settled", 3 * SETTLE_MS);
    symlinkSync(rev2, `${link}.tmp`);
    renameSync(`${link}.tmp`, link);
    const state = await harness.until("rev2", (s) => names(s).join() === "Benchmark/a,Benchmark/b");
    assert.equal(state.resources.find((r) => r.name === "a")!.file, join(link, "a.yaml"), "files are named under the watched path, not the revision");
    writeFileSync(join(rev2, "c.yaml"), benchmark("c"));
    await harness.until("a file added to rev2", (s) => names(s).includes("Benchmark/c"));
  });

  test("a watched directory that disappears keeps its resources (stale) with a problem, and is picked up when it is back", async () => {
    const watched = join(dir, "watched");
    mkdirSync(watched);
    writeFileSync(join(watched, "a.yaml"), benchmark("a"));
    harness = new Harness(watched);
    await harness.start();
    rmSync(watched, { recursive: true });
    const gone = await harness.until("the directory missing", (s) => s.problems.length > 0);
    assert.deepEqual(names(gone), ["Benchmark/a (stale)"]);
    assert.deepEqual([gone.problems[0]!.file, gone.problems[0]!.code], [watched, "MV_FILE_NOT_FOUND"]);
    mkdirSync(watched);
    writeFileSync(join(watched, "b.yaml"), benchmark("b"));
    const back = await harness.until("the directory back", (s) => names(s).join() === "Benchmark/b");
    assert.deepEqual(back.problems, []);
    writeFileSync(join(watched, "c.yaml"), benchmark("c"));
    await harness.until("a file added after", (s) => names(s).includes("Benchmark/c"));
  });

  test("a file rewritten without pause still lets other changes through (max hold)", async () => {
    harness = new Harness(dir, { maxHoldMs: 400, maxDelayMs: 200 });
    await harness.start();
    let stop = false;
    const churn = (async () => {
      for (let i = 0; !stop; i += 1) {
        writeFileSync(join(dir, "busy.yaml"), benchmark("busy", `[${i % 5}]`));
        await sleep(10);
      }
    })();
    try {
      writeFileSync(join(dir, "calm.yaml"), benchmark("calm"));
      await harness.until("calm, while busy.yaml never settles", (s) => names(s).includes("Benchmark/calm"), 10_000);
    } finally {
      stop = true;
      await churn;
    }
    await harness.until("busy once it settles", (s) => names(s).includes("Benchmark/busy"));
  });

  test("polling: creation, edits and deletion are seen", async () => {
    harness = new Harness(dir, { usePolling: true, pollIntervalMs: 100, resyncMs: 0 });
    await harness.start();
    writeFileSync(join(dir, "p.yaml"), benchmark("p"));
    const created = await harness.until("created", (s) => names(s).includes("Benchmark/p"));
    writeFileSync(join(dir, "p.yaml"), benchmark("p", "[4]"));
    await harness.until("edited", (s) => hashOf(s, "p") !== hashOf(created, "p"));
    unlinkSync(join(dir, "p.yaml"));
    await harness.until("deleted", (s) => s.resources.length === 0);
  });

  test("start() twice is refused", async () => {
    harness = new Harness(dir);
    await harness.start();
    await assert.rejects(harness.start(), /already started/);
  });

  for (const polling of [false, true]) {
    test(`stop() leaves no handle open: the process exits by itself${polling ? " (polling)" : ""}`, async () => {
      const moduleUrl = new URL("../../../src/sources/file-source.js", import.meta.url).href;
      const script = `
        import { writeFileSync } from "node:fs";
        const { FileSource } = await import(${JSON.stringify(moduleUrl)});
        const dir = ${JSON.stringify(dir)};
        const options = { debounceMs: 20, settleMs: 60, usePolling: ${polling}, pollIntervalMs: 50 };
        const early = new FileSource({ directory: dir + "/early", ...options });
        const starting = early.start(() => {});
        await early.stop();
        await starting;
        const source = new FileSource({ directory: dir + "/w", ...options });
        let seen;
        const changed = new Promise((resolve) => (seen = resolve));
        await source.start((state) => { if (state.resources.length > 0) seen(); });
        writeFileSync(dir + "/w/a.yaml", ${JSON.stringify(benchmark("a"))});
        await changed;
        await source.stop();
        console.log("stopped");
      `;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = (await pauseUnlessExited(child, 60_000)) === "exited" ? child.exitCode : "timeout";
      if (exited === "timeout") child.kill("SIGKILL");
      assert.equal(exited, 0, `the child should exit with 0 by itself; output: ${output}`);
      assert.match(output, /stopped/);
    });
  }
});
