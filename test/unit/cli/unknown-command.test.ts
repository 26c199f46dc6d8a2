/** Unknown commands and subcommands are errors (exit 2) with a did-you-mean, even with --help. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildProgram } from "../../../src/cli/program.js";
import { commandTree, findUnknownCommand, type CommandTree } from "../../../src/cli/unknown-command.js";
import type { Io } from "../../../src/cli/output.js";
import { cliSync } from "../../helpers/cli.js";

const silent: Io = { out: () => undefined, err: () => undefined, isTty: false };
const tree: CommandTree = commandTree(buildProgram(silent, () => undefined));

describe("findUnknownCommand (pure)", () => {
  test("known command lines pass, whatever their options and arguments", () => {
    for (const argv of [
      [],
      ["--help"],
      ["-V"],
      ["run", "--manifest", "m.yaml", "--output", "out"],
      ["get", "runs", "-o", "json"],
      ["get", "--help"],
      ["get", "runs", "nonsense"], // a leaf's arguments are commander's to check
      ["describe", "run", "abc"],
      ["models", "setup", "pca"],
      ["help"],
      ["help", "get"],
      ["get", "help", "runs"],
      ["run", "--", "nonsense"],
      ["completion", "bash"],
    ]) {
      assert.equal(findUnknownCommand(tree, argv), undefined, argv.join(" "));
    }
  });

  test("an unknown command, with or without --help, names the word and a suggestion", () => {
    assert.deepEqual(findUnknownCommand(tree, ["nonsense", "--help"])?.word, "nonsense");
    assert.deepEqual(findUnknownCommand(tree, ["--help", "nonsense"])?.word, "nonsense");
    const typo = findUnknownCommand(tree, ["gte", "runs"]);
    assert.deepEqual(typo?.parent, []);
    assert.deepEqual(typo?.suggestions, ["get"]);
    assert.ok(typo?.known.includes("run") && typo.known.includes("help"));
  });

  test("unknown subcommands of get, describe, logs and models", () => {
    for (const [group, word, suggestion] of [["get", "nonsense", undefined], ["get", "rusn", "runs"], ["models", "nonsense", undefined], ["models", "lst", "list"], ["describe", "benchmrak", "benchmark"], ["logs", "rn", "run"]] as const) {
      const unknown = findUnknownCommand(tree, [group, word, "--help"]);
      assert.deepEqual(unknown?.parent, [group]);
      assert.equal(unknown?.word, word);
      assert.deepEqual(unknown?.suggestions, suggestion ? [suggestion] : []);
    }
  });

  test("help of an unknown command is an unknown command", () => {
    assert.equal(findUnknownCommand(tree, ["help", "nonsense"])?.word, "nonsense");
    assert.equal(findUnknownCommand(tree, ["help", "get", "nonsense"])?.word, "nonsense");
  });
});

describe("multiverse <unknown>", () => {
  test("multiverse nonsense --help: exit 2, an error on stderr, no help on stdout", () => {
    const result = cliSync(["nonsense", "--help"]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^error: unknown command "nonsense" \[MV_USAGE\]/);
    assert.match(result.stderr, /commands of multiverse: run, get, describe/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  });

  test("a typo gets its did-you-mean", () => {
    const result = cliSync(["gte", "runs"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command "gte"; did you mean "get"\?/);
  });

  test("get nonsense and models nonsense: unknown subcommands, exit 2", () => {
    for (const group of ["get", "models"]) {
      const result = cliSync([group, "nonsense"]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`unknown subcommand "nonsense" of multiverse ${group}`));
      assert.match(result.stderr, new RegExp(`see: multiverse ${group} --help`));
    }
    assert.match(cliSync(["get", "rusn", "--help"]).stderr, /did you mean "runs"\?/);
  });

  test("a command group without its subcommand prints its help and exits 2; help itself exits 0", () => {
    const bare = cliSync(["get"]);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /Usage: multiverse get/);
    assert.equal(cliSync(["get", "--help"]).code, 0);
    assert.equal(cliSync(["help", "get"]).code, 0);
    const general = cliSync(["--help"]);
    assert.equal(general.code, 0);
    assert.match(general.stdout, /completion <shell>/);
  });

  test("a bad positional choice is refused by the parser (cancel <kind>, recover <decision>)", () => {
    const cancel = cliSync(["cancel", "job", "x"]);
    assert.equal(cancel.code, 2);
    assert.match(cancel.stderr, /Allowed choices are run, benchmark/);
    assert.equal(cliSync(["recover", "keep", "x"]).code, 2);
  });
});
