#!/usr/bin/env node
// Writes crds/*.yaml from the compiled schemas (run `npm run build` first).
import { writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { renderCrds } from "../dist/src/schemas/crds.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
mkdirSync(join(root, "crds"), { recursive: true });
for (const [name, text] of Object.entries(renderCrds())) {
  writeFileSync(join(root, "crds", name), text);
  console.log(`crds/${name}`);
}
