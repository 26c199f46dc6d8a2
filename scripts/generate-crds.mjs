#!/usr/bin/env node
// Writes crds/*.yaml and charts/multiverse/crds/*.yaml from the compiled schemas (run `npm run build` first).
import { writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { renderCrds } from "../dist/src/schemas/crds.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// The Helm chart carries the same CRDs (Helm installs charts/<chart>/crds/ before the templates).
for (const dir of ["crds", "charts/multiverse/crds"]) {
  mkdirSync(join(root, dir), { recursive: true });
  for (const [name, text] of Object.entries(renderCrds())) {
    writeFileSync(join(root, dir, name), text);
    console.log(`${dir}/${name}`);
  }
}
