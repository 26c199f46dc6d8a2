/**
 * A log file of bounded size that never holds more than its tail in memory: the first `headBytes` go straight to
 * the file, then only the last `tailBytes` are kept, and at the end a line saying how much was left out is
 * written before them. A model that prints 500 MB leaves a log of at most head + tail, and the process that
 * collects it stays small.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { Writable } from "node:stream";

export const CONTAINER_LOG_HEAD_BYTES = 16 * 1024 * 1024;
export const CONTAINER_LOG_TAIL_BYTES = 16 * 1024 * 1024;

export class BoundedLogFile extends Writable {
  private readonly fd: number;
  private written = 0;
  private omitted = 0;
  private tail: Buffer[] = [];
  private tailSize = 0;

  constructor(
    path: string,
    private readonly headBytes = CONTAINER_LOG_HEAD_BYTES,
    private readonly tailBytes = CONTAINER_LOG_TAIL_BYTES,
  ) {
    super();
    this.fd = openSync(path, "w", 0o644);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      let rest = chunk;
      if (this.written < this.headBytes) {
        const head = rest.subarray(0, this.headBytes - this.written);
        writeSync(this.fd, head);
        this.written += head.length;
        rest = rest.subarray(head.length);
      }
      if (rest.length > 0) this.keepTail(rest);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private keepTail(chunk: Buffer): void {
    this.tail.push(Buffer.from(chunk));
    this.tailSize += chunk.length;
    while (this.tailSize - (this.tail[0]?.length ?? 0) >= this.tailBytes) {
      const dropped = this.tail.shift()!;
      this.tailSize -= dropped.length;
      this.omitted += dropped.length;
    }
    if (this.tailSize > this.tailBytes) {
      const excess = this.tailSize - this.tailBytes;
      this.tail[0] = this.tail[0]!.subarray(excess);
      this.tailSize -= excess;
      this.omitted += excess;
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      if (this.omitted > 0) writeSync(this.fd, `\n[multiverse: ${this.omitted} bytes of output left out here; the first ${this.headBytes} and the last ${this.tailBytes} are kept]\n`);
      for (const chunk of this.tail) writeSync(this.fd, chunk);
      this.tail = [];
      fsyncSync(this.fd);
      closeSync(this.fd);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed by _final
    }
    callback(error);
  }
}
