/**
 * A POSIX ustar writer (regular files and directories), synchronous, no dependency. Names longer than 100 bytes are
 * split into prefix/name at a "/" (up to 255 bytes in all); longer ones are refused.
 */
import { closeSync, openSync, writeSync } from "node:fs";

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let at = path.indexOf("/"); at !== -1; at = path.indexOf("/", at + 1)) {
    const prefix = path.slice(0, at);
    const name = path.slice(at + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`path ${path} is too long for a ustar archive (255 bytes, 100 after the last fitting "/")`);
}

/** One 512-byte ustar header. Pure. */
export function tarHeader(path: string, entry: { size: number; mtime: Date; kind: "file" | "directory"; mode?: number }): Buffer {
  const header = Buffer.alloc(BLOCK, 0);
  const { name, prefix } = splitName(entry.kind === "directory" && !path.endsWith("/") ? `${path}/` : path);
  header.write(name, 0, 100, "utf8");
  header.write(octal(entry.mode ?? (entry.kind === "directory" ? 0o755 : 0o644), 8), 100, 8, "ascii");
  header.write(octal(0, 8), 108, 8, "ascii");
  header.write(octal(0, 8), 116, 8, "ascii");
  header.write(octal(entry.kind === "directory" ? 0 : entry.size, 12), 124, 12, "ascii");
  header.write(octal(Math.floor(entry.mtime.getTime() / 1000), 12), 136, 12, "ascii");
  header.write("        ", 148, 8, "ascii");
  header.write(entry.kind === "directory" ? "5" : "0", 156, 1, "ascii");
  header.write("ustar\0", 257, 6, "ascii");
  header.write("00", 263, 2, "ascii");
  header.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return header;
}

export class TarWriter {
  private readonly fd: number;
  private pending: { path: string; expected: number; written: number } | undefined;

  constructor(file: string) {
    this.fd = openSync(file, "wx");
  }

  directory(path: string, mtime: Date): void {
    writeSync(this.fd, tarHeader(path, { size: 0, mtime, kind: "directory" }));
  }

  /** Starts a file of `size` bytes; `write` its bytes, then `endFile`. */
  beginFile(path: string, size: number, mtime: Date): void {
    if (this.pending) throw new Error(`tar: ${this.pending.path} was not finished`);
    writeSync(this.fd, tarHeader(path, { size, mtime, kind: "file" }));
    this.pending = { path, expected: size, written: 0 };
  }

  write(chunk: Uint8Array): void {
    if (!this.pending) throw new Error("tar: write outside a file");
    this.pending.written += chunk.length;
    if (this.pending.written > this.pending.expected) throw new Error(`tar: ${this.pending.path} grew past its ${this.pending.expected} bytes while being archived`);
    writeSync(this.fd, chunk);
  }

  endFile(): void {
    const file = this.pending;
    if (!file) throw new Error("tar: no file to end");
    if (file.written !== file.expected) throw new Error(`tar: ${file.path} has ${file.written} bytes, its header says ${file.expected}`);
    const pad = (BLOCK - (file.written % BLOCK)) % BLOCK;
    if (pad > 0) writeSync(this.fd, Buffer.alloc(pad, 0));
    this.pending = undefined;
  }

  /** The two zero blocks that end an archive, then close. */
  finish(): void {
    writeSync(this.fd, Buffer.alloc(BLOCK * 2, 0));
    closeSync(this.fd);
  }

  abort(): void {
    closeSync(this.fd);
  }
}
