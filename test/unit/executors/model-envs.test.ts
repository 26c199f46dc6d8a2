import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_UV_VENV, UV_CACHE, findUv, installCommands } from "../../../src/executors/local/model-envs.js";
import { MultiverseError } from "../../../src/domain/errors.js";

describe("findUv", () => {
  test("MULTIVERSE_UV wins, and must exist", () => {
    assert.equal(findUv({ MULTIVERSE_UV: "/x/uv" }, (p) => p === "/x/uv"), "/x/uv");
    assert.throws(() => findUv({ MULTIVERSE_UV: "/missing/uv" }, () => false), (error: unknown) => error instanceof MultiverseError && /MULTIVERSE_UV points to \/missing\/uv/.test(error.message));
  });

  test("else the venv scripts/setup-uv.sh made, from MULTIVERSE_UV_VENV or the default", () => {
    assert.equal(findUv({ MULTIVERSE_UV_VENV: "/v" }, (p) => p === "/v/bin/uv"), "/v/bin/uv");
    assert.equal(findUv({}, (p) => p === `${DEFAULT_UV_VENV}/bin/uv`), `${DEFAULT_UV_VENV}/bin/uv`);
  });

  test("else none: pip installs", () => {
    assert.equal(findUv({}, () => false), null);
    assert.equal(findUv({ MULTIVERSE_UV_VENV: "/v" }, (p) => p === `${DEFAULT_UV_VENV}/bin/uv`), null);
  });
});

describe("installCommands", () => {
  const base = { python: "python3", dir: "/envs/pca-1.0.0", requirementsFile: "/m/container/requirements.txt", envsRoot: "/envs" };

  test("uv: a venv on the given interpreter, then the pinned requirements from the shared, hardlinked cache", () => {
    const [venv, install] = installCommands({ ...base, uv: "/u/bin/uv" });
    assert.deepEqual(venv?.args, ["venv", "--quiet", "--clear", "--python", "python3", "/envs/pca-1.0.0"]);
    assert.deepEqual(install?.args, ["pip", "install", "--quiet", "--python", "/envs/pca-1.0.0/bin/python3", "-r", "/m/container/requirements.txt"]);
    for (const step of [venv, install]) {
      assert.equal(step?.command, "/u/bin/uv");
      assert.equal(step?.env?.UV_CACHE_DIR, `/envs/${UV_CACHE}`);
      assert.equal(step?.env?.UV_LINK_MODE, "hardlink");
      assert.equal(step?.env?.UV_PYTHON_DOWNLOADS, "never");
      assert.equal(step?.env?.UV_COMPILE_BYTECODE, "1");
    }
  });

  test("pip: python -m venv and pip install -r, as before uv", () => {
    const [venv, install] = installCommands({ ...base, uv: null });
    assert.deepEqual(venv, { command: "python3", args: ["-m", "venv", "--clear", "/envs/pca-1.0.0"] });
    assert.deepEqual(install, { command: "/envs/pca-1.0.0/bin/python3", args: ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", "/m/container/requirements.txt"] });
  });
});
