/**
 * File-system primitives of the artifact store: durable writes (fsync of files and directories), copying with
 * a streaming sha256, and the read-only / writable mode flips of a bundle tree. Nothing here follows a symlink.
 */
import { createHash } from "node:crypto";
import { chmodSync, closeSync, constants, fstatSync, fsyncSync, ftruncateSync, linkSync, lstatSync, openSync, read, readdirSync, rmSync, write, writeSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const readAt = promisify(read);
const writeAt = promisify(write);
const CHUNK = 1024 * 1024;
/** Holes are kept at this granularity (a filesystem block multiple). */
const HOLE_BLOCK = 64 * 1024;

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

function allZero(buffer: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i += 1) if (buffer[i] !== 0) return false;
  return true;
}

/** sha256 and size of what `fd` holds, read from offset 0 in chunks. */
export async function hashFd(fd: number): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(CHUNK);
  let size = 0;
  for (;;) {
    const { bytesRead } = await readAt(fd, buffer, 0, CHUNK, size);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    size += bytesRead;
  }
  return { sha256: hash.digest("hex"), size };
}

/**
 * Copy `sourceFd` into a new file at `destination` (which must not exist), hashing every byte on the way, then
 * fsync the copy. Chunks that are all zeros are not written, so the copy of a sparse file stays sparse (holes
 * read as zeros, so the bytes and the hash are the same). The hash is of what was read for the copy, not of an
 * earlier read.
 */
async function copySparseHashing(sourceFd: number, destination: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(CHUNK);
  const output = openSync(destination, "wx", 0o644);
  let size = 0;
  try {
    for (;;) {
      const { bytesRead } = await readAt(sourceFd, buffer, 0, CHUNK, size);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      for (let start = 0; start < bytesRead; start += HOLE_BLOCK) {
        const end = Math.min(bytesRead, start + HOLE_BLOCK);
        if (allZero(buffer, start, end)) continue;
        let written = start;
        while (written < end) written += (await writeAt(output, buffer, written, end - written, size + written)).bytesWritten;
      }
      size += bytesRead;
    }
    ftruncateSync(output, size);
    fsyncSync(output);
  } finally {
    closeSync(output);
  }
  return { sha256: hash.digest("hex"), size };
}

/**
 * A hard link is taken only for a file that is ours and has no other name (so nobody else can write it through
 * another path), and only where the link really is the file that was opened.
 */
function tryLink(sourceFd: number, sourcePath: string, destination: string): boolean {
  const source = fstatSync(sourceFd);
  if (source.nlink !== 1 || source.uid !== process.getuid?.()) return false;
  try {
    linkSync(sourcePath, destination);
  } catch {
    return false; // EXDEV, EPERM, EMLINK, ENOTSUP: copy instead
  }
  const linked = lstatSync(destination);
  if (linked.ino === source.ino && linked.dev === source.dev) return true;
  rmSync(destination, { force: true });
  return false;
}

/**
 * Put the file open as `sourceFd` (path `sourcePath`) at `destination`: a hard link where allowed (no second copy
 * of the bytes; a sparse file stays sparse), else a sparse-preserving copy. Either way the bytes now at the
 * destination are hashed. Takes ownership of `sourceFd`: it is closed on every path.
 */
export async function placeHashing(sourceFd: number, sourcePath: string, destination: string, options: { mayLink: boolean }): Promise<{ sha256: string; size: number; linked: boolean }> {
  try {
    if (options.mayLink && tryLink(sourceFd, sourcePath, destination)) return { ...(await hashFd(sourceFd)), linked: true };
    return { ...(await copySparseHashing(sourceFd, destination)), linked: false };
  } finally {
    closeSync(sourceFd);
  }
}

/** Stream `sourceFd` into a new file at `destination` with its sha256 (a copy, never a link). Closes `sourceFd`. */
export async function copyHashing(sourceFd: number, destination: string): Promise<{ sha256: string; size: number }> {
  const { sha256, size } = await placeHashing(sourceFd, "", destination, { mayLink: false });
  return { sha256, size };
}
