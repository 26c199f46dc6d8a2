/** `multiverse ... | head`: the reader going away ends the output quietly, as for any Unix tool. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { CLI } from "../../helpers/cli.js";

// stdout is a pipe whose reading end is closed before the CLI starts, so its first write fails with EPIPE.
const CLOSED_PIPE = `
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
sys.stdout.write(f"exit {p.returncode}\\n")
sys.stdout.write(p.stderr.decode())
`;

test("writing into a closed pipe exits 0 without a stack trace", () => {
  for (const args of [["--help"], ["completion", "bash"]]) {
    const result = spawnSync("python3", ["-c", CLOSED_PIPE, process.execPath, CLI, ...args], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "exit 0\n", `${args.join(" ")}: ${result.stdout}`);
  }
});
