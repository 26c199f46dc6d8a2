import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadManifestText } from "../../../src/manifest/load-manifest.js";
import { repoRoot } from "../../../src/util/paths.js";

test("the README's manifest example is a valid manifest", () => {
  const readme = readFileSync(join(repoRoot(), "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Writing a manifest"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "the README has a yaml example");
  const result = loadManifestText(block, "README.md");
  assert.equal(result.benchmark.metadata.name, "pbmc-baselines");
  assert.equal(result.benchmark.spec.jobs[0]!.memLimit, "4g");
});
