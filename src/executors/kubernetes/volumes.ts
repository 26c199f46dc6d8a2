/**
 * The attempt's generic mounts as pod volumes. Pure. Every host path must lie under a PersistentVolumeClaim this
 * process has mounted (the state root's claim, a datasets claim): path <claim path>/x is the claim's subPath x. A
 * path under no claim is a launch error that names it: the executor never falls back to a hostPath volume.
 */
import { relative, resolve, sep } from "node:path";
import type { V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import { LaunchError } from "../executor.js";
import type { Mount } from "../mounts.js";
import type { ClaimMount } from "./settings.js";

export interface ClaimPath {
  claim: ClaimMount;
  /** The path inside the claim ("" for the claim's root). */
  subPath: string;
}

/** The claim holding a host path: the one with the longest mount path that contains it. */
export function claimPathOf(hostPath: string, claims: readonly ClaimMount[]): ClaimPath | undefined {
  const absolute = resolve(hostPath);
  let best: ClaimPath | undefined;
  for (const claim of claims) {
    const inside = relative(claim.path, absolute);
    if (inside.startsWith("..") || inside.startsWith(sep) || resolve(claim.path, inside) !== absolute) continue;
    if (!best || claim.path.length > best.claim.path.length) best = { claim, subPath: inside.split(sep).join("/") };
  }
  return best;
}

export interface PodVolumes {
  volumes: V1Volume[];
  volumeMounts: V1VolumeMount[];
}

/** One volume per claim used, one subPath mount per contract mount. */
export function podVolumes(mounts: readonly Mount[], claims: readonly ClaimMount[]): PodVolumes {
  const volumes: V1Volume[] = [];
  const volumeMounts: V1VolumeMount[] = [];
  const volumeNames = new Map<string, string>();
  for (const mount of mounts) {
    const found = claimPathOf(mount.source, claims);
    if (!found) {
      const known = claims.length === 0 ? "no claims are configured (--kube-state-claim, --kube-dataset-claim)" : `the claims are ${claims.map((c) => `${c.claim} at ${c.path}`).join(", ")}`;
      throw new LaunchError("launch_error", `the ${mount.role} ${mount.source} is under no PersistentVolumeClaim the Kubernetes executor knows; ${known}`);
    }
    if (found.claim.readOnly && !mount.readOnly) {
      throw new LaunchError("launch_error", `the ${mount.role} ${mount.source} must be writable, but claim ${found.claim.claim} is mounted read-only`);
    }
    let name = volumeNames.get(found.claim.claim);
    if (!name) {
      name = `claim-${volumeNames.size}`;
      volumeNames.set(found.claim.claim, name);
      volumes.push({ name, persistentVolumeClaim: { claimName: found.claim.claim, ...(found.claim.readOnly ? { readOnly: true } : {}) } });
    }
    volumeMounts.push({ name, mountPath: mount.target, readOnly: mount.readOnly, ...(found.subPath ? { subPath: found.subPath } : {}) });
  }
  return { volumes, volumeMounts };
}

/** Every claim of the settings, the state root's first. */
export function allClaims(settings: { stateClaim?: ClaimMount; datasetClaims: readonly ClaimMount[] }): ClaimMount[] {
  return [...(settings.stateClaim ? [settings.stateClaim] : []), ...settings.datasetClaims];
}
