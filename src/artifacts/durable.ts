/**
 * File-system primitives of the artifact store: durable writes (fsync of files and directories), copying with
 * a streaming sha256, and the read-only / writable mode flips of a bundle tree. Nothing here follows a symlink.
 */
import { createHash } from "node:crypto";
import { chmodSync, closeSync, constants, createReadStream, createWriteStream, fstatSync, fsyncSync, lstatSync, openSync, readdirSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Write a small file and fsync it; "wx" so that a leftover file or a planted symlink is never written through. */
export function writeDurably(file: string, text: string): void {
  const fd = openSync(file, "wx", 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Every real directory of a tree, parents first; symlinked directories are not entered. */
export function walkDirs(root: string): string[] {
  const dirs = [root];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (lstatSync(path).isDirectory()) dirs.push(...walkDirs(path));
  }
  return dirs;
}

/** fsync every file and directory of a tree, children before parents. */
export function fsyncTree(root: string): void {
  for (const dir of walkDirs(root).reverse()) {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (lstatSync(path).isFile()) fsyncPath(path);
    }
    fsyncPath(dir);
  }
}

/**
 * Files 0444 and directories 0555, except the top directory when `keepTopWritable`: renaming a directory into
 * another parent needs write permission on the directory itself (its ".." entry changes), so the saga locks the
 * top only after the rename.
 */
export function makeReadOnly(root: string, options: { keepTopWritable?: boolean } = {}): void {
  const dirs = walkDirs(root);
  for (const dir of dirs) {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (lstatSync(path).isFile()) chmodSync(path, 0o444);
    }
  }
  for (const dir of dirs.reverse()) chmodSync(dir, dir === root && options.keepTopWritable ? 0o755 : 0o555);
}

/** Directories writable again (files stay read-only), so that a tree can be moved aside or removed. */
export function makeWritable(root: string): void {
  try {
    if (!lstatSync(root).isDirectory()) return;
  } catch {
    return;
  }
  // Parents first: a 0555 parent must be opened up before its children can be listed and changed.
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    chmodSync(dir, 0o755);
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (lstatSync(path).isDirectory()) pending.push(path);
    }
  }
}

/** Open a regular file for reading without following a symlink in its last component. */
export function openRegularFile(path: string): { fd: number; size: number } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new Error(`${path} is not a regular file`);
  }
  return { fd, size: stat.size };
}

/**
 * Stream `sourceFd` into a new file at `destination` (which must not exist), hashing every byte on the way,
 * then fsync the copy. The hash is of what was written, not of what was read earlier. Takes ownership of
 * `sourceFd`: it is closed on every path.
 */
export async function copyHashing(sourceFd: number, destination: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const source = createReadStream("", { fd: sourceFd, autoClose: true, highWaterMark: 1024 * 1024 });
  let output: number;
  try {
    output = openSync(destination, "wx", 0o644);
  } catch (error) {
    source.destroy();
    throw error;
  }
  try {
    await pipeline(source, tap, createWriteStream("", { fd: output, autoClose: false }));
    fsyncSync(output);
  } finally {
    closeSync(output);
  }
  return { sha256: hash.digest("hex"), size };
}
