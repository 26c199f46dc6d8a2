import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { configFilePath, expandPath, resolveStateRootFrom, type StateRootInputs } from "../../../src/state/resolve-state-root.js";

const base: StateRootInputs = { env: {}, home: "/home/u", cwd: "/work" };
const everything: StateRootInputs = {
  flag: "/flag",
  output: "/out",
  env: { MULTIVERSE_STATE_DIR: "/envdir", MULTIVERSE_STATE_ROOT: "/legacy", XDG_STATE_HOME: "/xdg" },
  home: "/home/u",
  cwd: "/work",
  config: { file: "/home/u/.config/multiverse/config.yaml", stateDir: "/configured" },
};

describe("state-root resolution", () => {
  test("each rule wins over every rule after it", () => {
    let inputs: StateRootInputs = { ...everything, env: { ...everything.env } };
    assert.deepEqual(resolveStateRootFrom(inputs), { path: "/flag", rule: "flag", source: "--state-root" });
    inputs = { ...inputs, flag: undefined };
    assert.deepEqual(resolveStateRootFrom(inputs), { path: "/out", rule: "output", source: "--output" });
    inputs = { ...inputs, output: undefined };
    assert.deepEqual(resolveStateRootFrom(inputs), { path: "/envdir", rule: "env", source: "$MULTIVERSE_STATE_DIR" });
    inputs = { ...inputs, env: { ...inputs.env, MULTIVERSE_STATE_DIR: undefined } };
    assert.deepEqual(resolveStateRootFrom(inputs), { path: "/legacy", rule: "legacy-env", source: "$MULTIVERSE_STATE_ROOT" });
    inputs = { ...inputs, env: { ...inputs.env, MULTIVERSE_STATE_ROOT: undefined } };
    assert.deepEqual(resolveStateRootFrom(inputs), { path: "/configured", rule: "config", source: "/home/u/.config/multiverse/config.yaml" });
    inputs = { ...inputs, config: undefined };
    assert.deepEqual(resolveStateRootFrom(inputs), { path: "/xdg/multiverse", rule: "xdg", source: "$XDG_STATE_HOME/multiverse" });
    inputs = { ...inputs, env: {} };
    assert.deepEqual(resolveStateRootFrom(inputs), { path: "/home/u/.multiverse", rule: "home", source: "~/.multiverse" });
  });

  test("empty values are unset, not the current directory", () => {
    const inputs: StateRootInputs = { ...base, flag: "", output: " ", env: { MULTIVERSE_STATE_DIR: "", MULTIVERSE_STATE_ROOT: "", XDG_STATE_HOME: "" }, config: { file: "/c.yaml", stateDir: "" } };
    assert.equal(resolveStateRootFrom(inputs).rule, "home");
  });

  test("a relative XDG_STATE_HOME is ignored, as the XDG spec asks", () => {
    assert.equal(resolveStateRootFrom({ ...base, env: { XDG_STATE_HOME: "relative/state" } }).rule, "home");
  });

  test("relative paths: flags and environment against the working directory, state_dir against the config file", () => {
    assert.equal(resolveStateRootFrom({ ...base, flag: "sr" }).path, "/work/sr");
    assert.equal(resolveStateRootFrom({ ...base, output: "../o" }).path, "/o");
    assert.equal(resolveStateRootFrom({ ...base, env: { MULTIVERSE_STATE_DIR: "e" } }).path, "/work/e");
    assert.equal(resolveStateRootFrom({ ...base, config: { file: "/etc/mv/config.yaml", stateDir: "state" } }).path, "/etc/mv/state");
  });

  test("~ expands to the home directory in every rule", () => {
    assert.equal(resolveStateRootFrom({ ...base, flag: "~/a" }).path, "/home/u/a");
    assert.equal(resolveStateRootFrom({ ...base, env: { MULTIVERSE_STATE_DIR: "~" } }).path, "/home/u");
    assert.equal(resolveStateRootFrom({ ...base, config: { file: "/c/config.yaml", stateDir: "~/s" } }).path, "/home/u/s");
    assert.equal(expandPath("~user/x", "/home/u", "/w"), "/w/~user/x");
  });

  test("the config file lives under $XDG_CONFIG_HOME, else ~/.config", () => {
    assert.equal(configFilePath({ XDG_CONFIG_HOME: "/cfg" }, "/home/u"), "/cfg/multiverse/config.yaml");
    assert.equal(configFilePath({}, "/home/u"), "/home/u/.config/multiverse/config.yaml");
    assert.equal(configFilePath({ XDG_CONFIG_HOME: "rel" }, "/home/u"), "/home/u/.config/multiverse/config.yaml");
  });
});
