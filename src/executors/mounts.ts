/**
 * What an attempt sees of the host, described once for every engine: the input dataset read-only and the
 * attempt's workspace read-write, at the contract paths. Each executor maps these to its own mechanism
 * (Docker bind mounts, bubblewrap binds, Apptainer --bind, PersistentVolumeClaim subPaths).
 */
export type MountRole = "input" | "workspace" | "cache";

export interface Mount {
  role: MountRole;
  /** Host path (a file for the input, a directory for the workspace). */
  source: string;
  /** Path inside the attempt. */
  target: string;
  readOnly: boolean;
}

/** The contract paths: the model reads /input/data.h5mu and writes to /output. (A cache mount is the evaluator's persistent JAX cache.) */
export const CONTRACT_PATHS: Readonly<Record<Exclude<MountRole, "cache">, string>> = { input: "/input/data.h5mu", workspace: "/output" };

/** The two contract mounts of an attempt: the dataset read-only at /input/data.h5mu, the workspace at /output. */
export function contractMounts(datasetPath: string, workspaceDir: string): Mount[] {
  return [
    { role: "input", source: datasetPath, target: CONTRACT_PATHS.input, readOnly: true },
    { role: "workspace", source: workspaceDir, target: CONTRACT_PATHS.workspace, readOnly: false },
  ];
}

export function findMount(mounts: readonly Mount[], role: MountRole): Mount | undefined {
  return mounts.find((mount) => mount.role === role);
}

/** The mount of a role every attempt must have; a request without it is a programming error, not a user's. */
export function requireMount(mounts: readonly Mount[], role: MountRole): Mount {
  const mount = findMount(mounts, role);
  if (!mount) throw new Error(`the launch request has no ${role} mount (mounts: ${mounts.map((m) => m.role).join(", ") || "none"})`);
  return mount;
}

/** The parent directory of a mount target inside the attempt ("/input" for "/input/data.h5mu", "/" for "/output"). */
export function targetParent(target: string): string {
  const cut = target.lastIndexOf("/");
  return cut <= 0 ? "/" : target.slice(0, cut);
}
