/**
 * What the FakeExecutor's "model" does in the workspace: it honours the model contract like the contract-test
 * image does (job_spec.json in, embeddings.h5 with a latent of n_obs rows, metrics.json, umap.png and run.log
 * out, log lines at MULTIVERSE_LOG_LEVEL), without a process.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { prng, writeLatent } from "../../h5/index.js";
// In this thread: the fake reads files it or a test wrote, so the HDF5 worker's isolation from corrupt input buys nothing here.
import { readH5muSummaryInThread } from "../../h5/read-h5mu.js";
import type { SucceedScript } from "./scripts.js";

const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;
type Level = keyof typeof LEVELS;

export interface ModelContext {
  /** Host path of the input .h5mu (the input mount's source). */
  inputPath: string;
  /** Host path of the workspace (the workspace mount's source). */
  workspaceDir: string;
  env: Record<string, string>;
  now: () => Date;
}

interface JobSpec {
  seed: number;
  modelName: string;
}

function readJobSpec(workspaceDir: string): JobSpec {
  try {
    const parsed = JSON.parse(readFileSync(join(workspaceDir, "job_spec.json"), "utf8")) as { seed?: unknown; model_name?: unknown };
    return { seed: typeof parsed.seed === "number" ? parsed.seed : 0, modelName: typeof parsed.model_name === "string" ? parsed.model_name : "fake-model" };
  } catch {
    return { seed: 0, modelName: "fake-model" };
  }
}

/** The model's own log (run.log in the workspace) and its stdout/stderr (what collectLogs returns). */
export class ModelLog {
  readonly output: string[] = [];
  private readonly threshold: number;

  constructor(private readonly context: ModelContext) {
    const level = (context.env.MULTIVERSE_LOG_LEVEL ?? "INFO").toUpperCase();
    this.threshold = level in LEVELS ? LEVELS[level as Level] : LEVELS.INFO;
  }

  print(line: string): void {
    this.output.push(line);
  }

  log(message: string, level: Level = "INFO"): void {
    if (LEVELS[level] < this.threshold) return;
    mkdirSync(this.context.workspaceDir, { recursive: true });
    appendFileSync(join(this.context.workspaceDir, "run.log"), `${this.context.now().toISOString()} ${level} ${message}\n`);
  }
}

export interface StartedModel {
  log: ModelLog;
  spec: JobSpec;
}

/** What every scripted model does when it starts: read its job spec and say so. */
export function startModel(context: ModelContext, scriptKind: string): StartedModel {
  const spec = readJobSpec(context.workspaceDir);
  const log = new ModelLog(context);
  log.print(`${spec.modelName} starting: script=${scriptKind} seed=${spec.seed}`);
  log.print("a line on stderr");
  log.log(`script ${scriptKind}`);
  return { log, spec };
}

/** Writes the four contract outputs; returns the exit code (1 when the input cannot be read, as a model would). */
export async function succeed(context: ModelContext, started: StartedModel, script: SucceedScript): Promise<number> {
  const { log, spec } = started;
  let nObs = script.nObs;
  if (nObs === undefined) {
    try {
      nObs = (await readH5muSummaryInThread(context.inputPath)).nObs;
    } catch (error) {
      log.print(`cannot read the input: ${(error as Error).message}`);
      log.log(`cannot read the input ${context.inputPath}`, "ERROR");
      return 1;
    }
  }
  const nLatent = script.nLatent ?? 8;
  const rows = script.latentRows ?? nObs;
  log.log(`n_obs=${nObs} n_latent=${nLatent} seed=${spec.seed}`, "DEBUG");
  const random = prng(spec.seed + 1);
  const values = Float32Array.from({ length: rows * nLatent }, () => random() * 2 - 1);
  mkdirSync(context.workspaceDir, { recursive: true });
  await writeLatent(join(context.workspaceDir, "embeddings.h5"), rows, nLatent, { fill: (r, c) => values[r * nLatent + c] ?? 0 });
  const mean = values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
  const metrics = script.metrics ?? { latent_mean: mean, n_latent: nLatent };
  writeFileSync(join(context.workspaceDir, "metrics.json"), JSON.stringify({ model_metrics: metrics, history: { epoch: [1, 2], loss: [1.0, 0.5] } }));
  writeFileSync(join(context.workspaceDir, "umap.png"), png(8, 8));
  log.log("done");
  log.print(`${spec.modelName} done`);
  return 0;
}

/** A small valid RGB PNG (signature, IHDR, IDAT, IEND). */
export function png(width: number, height: number): Buffer {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) for (let x = 0; x < width * 3; x += 1) rows[y * (width * 3 + 1) + 1 + x] = (x * 30 + y) % 256;
  const chunk = (kind: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(kind, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
