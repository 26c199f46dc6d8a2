/**
 * Long-lived HDF5 worker threads. Reads of files that may be damaged or hostile run in a worker: a corrupt file
 * can make HDF5 abort inside WebAssembly, and only that worker dies. Starting a worker and its h5wasm instance
 * costs about 115 ms of wall time and 135 ms of CPU, so workers are kept and reused; one that crashed, timed
 * out or failed a read is replaced by a fresh one on the next read. Idle workers are unref'd: they never keep
 * a process alive.
 */
import { Worker } from "node:worker_threads";
import type { H5Envelope, H5Reply, H5Request, H5Response } from "./worker-protocol.js";

const WORKER_URL = new URL("./h5-worker.js", import.meta.url);
/** WebAssembly memory only grows: a worker is replaced after this many reads so a long controller stays lean. */
const READS_PER_WORKER = 500;

export class WorkerCrash extends Error {}

interface Pending {
  id: number;
  resolve: (response: H5Response) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  served: number;
  pending?: Pending;
}

export class H5ReaderPool {
  private readonly slots = new Set<Slot>();
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private nextId = 1;
  private started = 0;

  /** Two cores on the reference machine: more concurrent readers only compete for them. */
  constructor(private readonly maxWorkers = 2) {}

  /** Workers started so far (a measure of reuse, for tests and benches). */
  get workersStarted(): number {
    return this.started;
  }

  async run(request: H5Request, timeoutMs: number): Promise<H5Response> {
    const slot = await this.acquire();
    try {
      return await this.send(slot, request, timeoutMs);
    } finally {
      this.release(slot);
    }
  }

  /** Stop every worker (tests and benches; a process that just exits need not call it). */
  async close(): Promise<void> {
    const workers = [...this.slots].map((slot) => slot.worker);
    this.slots.clear();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private acquire(): Promise<Slot> {
    for (const slot of this.slots) {
      if (!slot.busy) return Promise.resolve(this.claim(slot));
    }
    if (this.slots.size < this.maxWorkers) return Promise.resolve(this.claim(this.spawn()));
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private claim(slot: Slot): Slot {
    slot.busy = true;
    slot.worker.ref();
    return slot;
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    const alive = this.slots.has(slot);
    if (next) {
      next(alive ? slot : this.claim(this.spawn()));
      return;
    }
    if (!alive) return;
    slot.busy = false;
    slot.worker.unref();
  }

  private spawn(): Slot {
    // No stdout/stderr streams: consuming them would keep the process alive (quiet-stdio.ts keeps the worker quiet).
    const worker = new Worker(WORKER_URL, { execArgv: [] });
    this.started += 1;
    const slot: Slot = { worker, busy: false, served: 0 };
    worker.unref();
    worker.on("message", (reply: H5Reply) => {
      const pending = slot.pending;
      if (!pending || pending.id !== reply.id) return;
      slot.pending = undefined;
      slot.served += 1;
      if (reply.recycle || slot.served >= READS_PER_WORKER) this.discard(slot);
      pending.resolve(reply.response);
    });
    worker.on("error", (error) => this.lose(slot, `the HDF5 reader crashed: ${error.message}`));
    worker.on("exit", (code) => this.lose(slot, `the HDF5 reader stopped (exit ${code})`));
    this.slots.add(slot);
    return slot;
  }

  private send(slot: Slot, request: H5Request, timeoutMs: number): Promise<H5Response> {
    return new Promise<H5Response>((resolve, reject) => {
      const id = this.nextId;
      this.nextId += 1;
      const timer = setTimeout(() => {
        slot.pending = undefined;
        this.discard(slot);
        reject(new WorkerCrash(`reading took longer than ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      slot.pending = {
        id,
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      slot.worker.postMessage({ id, request } satisfies H5Envelope);
    });
  }

  /** The worker died or errored: the read in flight fails, and the slot is gone. */
  private lose(slot: Slot, reason: string): void {
    const pending = slot.pending;
    slot.pending = undefined;
    this.discard(slot);
    pending?.reject(new WorkerCrash(reason));
  }

  private discard(slot: Slot): void {
    if (!this.slots.delete(slot)) return;
    void slot.worker.terminate();
  }
}
