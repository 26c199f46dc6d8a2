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
