/**
 * Where an export's files go: a new directory or a new ustar file. Each file is copied in chunks while its sha256
 * is computed; a digest that differs from the expected one aborts the export and removes what was written.
 */
import { createHash } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { Errors } from "../domain/errors.js";
import { TarWriter } from "./tar-writer.js";

const CHUNK = 1024 * 1024;

export interface ExportSink {
  /** Copies `source` to `path` (relative, "/"-separated); returns its size and sha256, or throws if it is not `expectedSha256`. */
  copy(source: string, path: string, expectedSha256: string | undefined): { size: number; sha256: string };
  writeText(path: string, text: string): void;
  commit(): void;
  abort(): void;
}

function streamFile(source: string, onChunk: (chunk: Uint8Array) => void, begin: (size: number, mtime: Date) => void): { size: number; sha256: string } {
  const fd = openSync(source, "r");
  try {
    const stat = fstatSync(fd);
    begin(stat.size, stat.mtime);
    const hash = createHash("sha256");
    const buffer = Buffer.alloc(CHUNK);
    let size = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      hash.update(chunk);
      onChunk(chunk);
      size += n;
    }
    return { size, sha256: hash.digest("hex") };
  } finally {
    closeSync(fd);
  }
}

function check(source: string, actual: string, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected) {
    throw Errors.checksumMismatch(`${source}: sha256 ${actual} differs from the manifest's ${expected}; nothing was exported`, {
      details: ["the bundle changed after it was promoted: verify it (multiverse describe run) before exporting"],
    });
  }
}

export function directorySink(target: string): ExportSink {
  const staging = `${target}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  return {
    copy(source, path, expected) {
      const file = join(staging, path);
      mkdirSync(dirname(file), { recursive: true });
      const out = openSync(file, "wx");
      try {
        const result = streamFile(source, (chunk) => writeSync(out, chunk), () => undefined);
        check(source, result.sha256, expected);
        return result;
      } finally {
        closeSync(out);
      }
    },
    writeText(path, text) {
      const out = openSync(join(staging, path), "wx");
      writeSync(out, text);
      closeSync(out);
    },
    commit: () => renameSync(staging, target),
    abort: () => rmSync(staging, { recursive: true, force: true }),
  };
}

export function tarSink(target: string): ExportSink {
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { force: true });
  const tar = new TarWriter(partial);
  const dirs = new Set<string>();
  const now = new Date();
  const ensureDirs = (path: string) => {
    const parts = path.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i += 1) {
      const dir = parts.slice(0, i).join("/");
      if (!dirs.has(dir)) {
        dirs.add(dir);
        tar.directory(dir, now);
      }
    }
  };
  let open = true;
  return {
    copy(source, path, expected) {
      ensureDirs(path);
      const result = streamFile(source, (chunk) => tar.write(chunk), (size, mtime) => tar.beginFile(path, size, mtime));
      tar.endFile();
      check(source, result.sha256, expected);
      return result;
    },
    writeText(path, text) {
      const bytes = Buffer.from(text, "utf8");
      ensureDirs(path);
      tar.beginFile(path, bytes.length, now);
      tar.write(bytes);
      tar.endFile();
    },
    commit() {
      tar.finish();
      open = false;
      renameSync(partial, target);
    },
    abort() {
      if (open) tar.abort();
      open = false;
      rmSync(partial, { force: true });
    },
  };
}
