/** Writes the demo and test datasets (small, seeded, reproducible) into the given directory. */
import { resolve } from "node:path";
import { makeDemoDatasets } from "../catalog/demo-datasets.js";

const dir = resolve(process.argv[2] ?? "data/generated");
const written = await makeDemoDatasets(dir);
for (const file of written) process.stdout.write(`dataset ready: ${file}\n`);
