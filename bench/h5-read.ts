/**
 * HDF5 read cost per read, wall and CPU (process-wide, worker threads included): a fresh worker and h5wasm
 * instance per read (how every read worked before) against the long-lived pool. Usage:
 *   node dist/bench/h5-read.js [reads=20]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { H5ReaderPool, readLatent, writeLatent } from "../src/h5/index.js";

interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function measure(read: () => Promise<void>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await read();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const reads = Number(process.argv[2] ?? 20);
  const dir = mkdtempSync(join(tmpdir(), "mv-bench-h5-"));
  try {
    const file = join(dir, "embeddings.h5");
    await writeLatent(file, 2000, 32);
    const fresh: Sample[] = [];
    const reused: Sample[] = [];
    const pool = new H5ReaderPool(1);
    await readLatent(file, { checkFinite: true, pool }); // the pool's one start-up, paid once per process
    // Interleaved, so that both modes see the same machine load.
    for (let i = 0; i < reads; i += 1) {
      fresh.push(
        await measure(async () => {
          const once = new H5ReaderPool(1);
          await readLatent(file, { checkFinite: true, pool: once });
          await once.close();
        }),
      );
      reused.push(await measure(async () => void (await readLatent(file, { checkFinite: true, pool }))));
    }
    await pool.close();
    const row = (name: string, samples: Sample[]) =>
      `${name.padEnd(34)} ${median(samples.map((s) => s.wallMs)).toFixed(1).padStart(8)} ${median(samples.map((s) => s.cpuMs)).toFixed(1).padStart(8)}`;
    console.log(`readLatent of a 2000 x 32 float32 embeddings.h5 with the finiteness scan, ${reads} reads each, medians`);
    console.log(`${"mode".padEnd(34)} ${"wall ms".padStart(8)} ${"CPU ms".padStart(8)}`);
    console.log(row("before: fresh worker per read", fresh));
    console.log(row("after: long-lived worker", reused));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
