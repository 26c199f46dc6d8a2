/** Storage errors that no quick retry fixes: a full disk or quota, a read-only or immutable file or file system. */
const STORAGE_FULL = new Set(["ENOSPC", "EDQUOT"]);
const STORAGE_READ_ONLY = new Set(["EROFS", "EPERM", "EACCES"]);

function errnoCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

export function isStorageFull(error: unknown): boolean {
  const code = errnoCode(error);
  return code !== undefined && STORAGE_FULL.has(code);
}

export function isStorageReadOnly(error: unknown): boolean {
  const code = errnoCode(error);
  return code !== undefined && STORAGE_READ_ONLY.has(code);
}

/** "ENOSPC: no space left on device" as a short phrase for messages. */
export function storageProblem(error: unknown): string {
  const code = errnoCode(error);
  if (code === "ENOSPC" || code === "EDQUOT") return "the disk is full";
  if (code === "EROFS") return "the file system is read-only";
  if (code === "EPERM" || code === "EACCES") return "permission denied (read-only or immutable)";
  return (error as Error).message;
}

const SQLITE_STORAGE: Record<string, string> = {
  SQLITE_CANTOPEN: "the index cannot be opened (a read-only or missing directory, or permissions)",
  SQLITE_READONLY: "the index is read-only",
  SQLITE_FULL: "the disk is full",
  SQLITE_IOERR: "the index could not be read or written (an I/O error)",
  SQLITE_PERM: "permission denied on the index",
};

/**
 * What a file-system or SQLite failure means for the user, or undefined for other errors: "cannot write
 * /out/journal/segment-000001.jsonl: the file system is read-only (EROFS)". No stack trace is needed to act on it.
 */
export function describeStorageFailure(error: unknown): string | undefined {
  const code = errnoCode(error);
  if (code === undefined) return undefined;
  const path = typeof error === "object" && error !== null && "path" in error && typeof (error as { path: unknown }).path === "string" ? (error as { path: string }).path : undefined;
  if (STORAGE_FULL.has(code) || STORAGE_READ_ONLY.has(code)) return `cannot write ${path ?? "the state root"}: ${storageProblem(error)} (${code})`;
  const sqlite = Object.entries(SQLITE_STORAGE).find(([prefix]) => code === prefix || code.startsWith(`${prefix}_`));
  return sqlite ? `${sqlite[1]} (${code}): check that the state root is writable and has free space` : undefined;
}
