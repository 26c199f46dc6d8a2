/**
 * Shell completion generated from the program: bash accepts the script, and bash's own completion machinery
 * (compgen, driven through the script's function as `complete -F` would) completes commands, subcommands, flags
 * and flag values.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProgram } from "../../../src/cli/program.js";
import { completionSpec } from "../../../src/cli/completion/spec.js";
import { completionScript } from "../../../src/cli/completion/command.js";
import type { Io } from "../../../src/cli/output.js";
import { cliSync } from "../../helpers/cli.js";

const silent: Io = { out: () => undefined, err: () => undefined, isTty: false };
const program = buildProgram(silent, () => undefined);

describe("completion spec", () => {
  test("every command path of the program is there, with its flags and their values", () => {
    const nodes = completionSpec(program);
    const paths = nodes.map((n) => n.path.join(" "));
    for (const path of ["", "run", "get", "get runs", "get benchmarks", "describe run", "logs run", "models setup", "controller", "completion", "help"]) assert.ok(paths.includes(path), `${path} missing`);
    const getRuns = nodes.find((n) => n.path.join(" ") === "get runs")!;
    assert.deepEqual(getRuns.flags.find((f) => f.names.includes("-o")), { names: ["-o", "--output-format"], takesValue: true, choices: ["table", "wide", "json", "yaml"] });
    assert.deepEqual(getRuns.flags.find((f) => f.names.includes("--watch")), { names: ["-w", "--watch"], takesValue: false, choices: [] });
    assert.ok(getRuns.flags.some((f) => f.names.includes("--help")), "the help flag is completed too");
    const cancel = nodes.find((n) => n.path.join(" ") === "cancel")!;
    assert.deepEqual(cancel.argumentChoices, [["run", "benchmark"], []]);
  });
});

describe("bash completion", () => {
  let work: string;
  let script: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-completion-"));
    script = join(work, "multiverse.bash");
    writeFileSync(script, await completionScript(program, "bash"));
    mkdirSync(join(work, "files"));
    writeFileSync(join(work, "files", "manifest.yaml"), "");
    writeFileSync(join(work, "files", "model.yaml"), "");
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** What bash offers for the command line `words` (the last one is the word being completed). */
  function complete(...words: string[]): string[] {
    const array = words.map((w) => `'${w}'`).join(" ");
    const driver = [
      `source '${script}'`,
      // the registration the script made is what a user's shell would use
      `spec=$(complete -p multiverse) || exit 3`,
      `[[ "$spec" == *"-F _multiverse"* ]] || exit 4`,
      `COMP_WORDS=(multiverse ${array}); COMP_CWORD=${words.length}; COMP_LINE="multiverse ${words.join(" ")}"; COMP_POINT=\${#COMP_LINE}`,
      `_multiverse multiverse '${words.at(-1) ?? ""}' '${words.at(-2) ?? "multiverse"}'`,
      `printf '%s\\n' "\${COMPREPLY[@]}"`,
    ].join("\n");
    const result = spawnSync("bash", ["--norc", "--noprofile", "-c", driver], { encoding: "utf8", cwd: join(work, "files") });
    assert.equal(result.status, 0, `bash exited ${result.status}: ${result.stderr}`);
    assert.equal(result.stderr, "");
    return result.stdout.split("\n").filter((l) => l !== "").sort();
  }

  test("bash -n accepts the script; the CLI prints the same script", () => {
    const syntax = spawnSync("bash", ["-n", script], { encoding: "utf8" });
    assert.equal(syntax.status, 0, syntax.stderr);
    const printed = cliSync(["completion", "bash"]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stdout, spawnSync("cat", [script], { encoding: "utf8" }).stdout);
  });

  test("multiverse ge<TAB> gives get", () => {
    assert.deepEqual(complete("ge"), ["get"]);
  });

  test("commands and subcommands", () => {
    assert.deepEqual(complete("re"), ["rebuild-index", "recover", "register-dataset", "register-model", "report"]);
    assert.deepEqual(complete("get", "r"), ["runs"]);
    assert.deepEqual(complete("get", ""), ["benchmarks", "datasets", "help", "models", "runs"]);
    assert.deepEqual(complete("models", "s"), ["setup"]);
    assert.deepEqual(complete("help", "comp"), ["completion"]);
    assert.deepEqual(complete("completion", ""), ["bash", "zsh"]);
  });

  test("flags of the command at the cursor, and the values of -o and --backend", () => {
    assert.deepEqual(complete("get", "runs", "--ph"), ["--phase"]);
    assert.deepEqual(complete("get", "runs", "-o", ""), ["json", "table", "wide", "yaml"]);
    assert.deepEqual(complete("get", "runs", "--output-format", "w"), ["wide"]);
    assert.deepEqual(complete("describe", "run", "abc", "-o", ""), ["json", "text"]);
    assert.deepEqual(complete("run", "--backend", ""), ["docker", "kubernetes", "local", "slurm"]);
    assert.deepEqual(complete("run", "--validators", "s"), ["strict"]);
    assert.deepEqual(complete("run", "--dry-"), ["--dry-run"]);
  });

  test("a flag's value is not taken for a command: `run --output get --<TAB>` completes run's flags", () => {
    assert.ok(complete("run", "--output", "get", "--ma").includes("--manifest"));
    assert.deepEqual(complete("run", "--output", "get", "--ma"), ["--manifest", "--max-concurrent"]);
  });

  test("positional choices by position (cancel <kind> <name>), then files", () => {
    assert.deepEqual(complete("cancel", ""), ["benchmark", "run"]);
    assert.deepEqual(complete("cancel", "--json", "b"), ["benchmark"]);
    assert.deepEqual(complete("recover", "a"), ["adopt"]);
    assert.deepEqual(complete("run", "--manifest", "ma"), ["manifest.yaml"]);
    assert.deepEqual(complete("register-model", "mo"), ["model.yaml"]);
  });
});

describe("zsh completion", () => {
  test("the zsh script holds the same data functions and registers itself with compdef", async () => {
    const zsh = await completionScript(program, "zsh");
    const bash = await completionScript(program, "bash");
    assert.match(zsh, /^#compdef multiverse\n/);
    assert.match(zsh, /compdef _multiverse multiverse/);
    const data = (text: string) => text.slice(text.indexOf("__multiverse_subcommands() {"), text.indexOf("_multiverse() {"));
    assert.equal(data(zsh), data(bash));
    assert.doesNotMatch(zsh, /\blocal path\b/, "path is zsh's PATH array");
    const result = cliSync(["completion", "zsh"]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, zsh.endsWith("\n") ? zsh : `${zsh}\n`);
  });

  test("an unknown shell is a usage error", () => {
    const result = cliSync(["completion", "fish"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Allowed choices are bash, zsh/);
  });
});
