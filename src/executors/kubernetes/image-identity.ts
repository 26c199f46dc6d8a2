/**
 * What image an attempt runs, as the run identity needs it. A reference pinned by digest (repo@sha256:...) is its own
 * identity; otherwise the local Docker engine's identity when the image was built here (the same image id a
 * Docker-run attempt records, so the logical run id is the same on both backends); otherwise a node that reports the
 * image (node.status.images) by its repo digest. Pure except for the two look-ups it is given.
 */
import type { V1Node } from "@kubernetes/client-node";
import type { ImageIdentity } from "../../domain/resources.js";

const PINNED = /@(sha256:[0-9a-f]{64})$/;

export function pinnedIdentity(reference: string): ImageIdentity | undefined {
  const digest = PINNED.exec(reference)?.[1];
  return digest ? { reference, kind: "registry", digest } : undefined;
}

/** The names a node may list for a reference: as given, and with Docker Hub's implicit registry and library/. */
export function referenceNames(reference: string): string[] {
  const tagged = /:[^/]+$/.test(reference) || reference.includes("@") ? reference : `${reference}:latest`;
  const names = new Set([tagged]);
  const first = tagged.split("/")[0] ?? "";
  const hasRegistry = tagged.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (!hasRegistry) {
    names.add(`docker.io/${tagged}`);
    if (!tagged.includes("/")) names.add(`docker.io/library/${tagged}`);
  }
  return [...names];
}

/** The identity of a reference among the images the nodes report, by the repo digest a node lists beside it. */
export function identityFromNodes(reference: string, nodes: readonly V1Node[]): ImageIdentity | null {
  const wanted = new Set(referenceNames(reference));
  for (const node of nodes) {
    for (const image of node.status?.images ?? []) {
      const names = image.names ?? [];
      if (!names.some((name) => wanted.has(name))) continue;
      const digest = names.map((name) => PINNED.exec(name)?.[1]).find((found) => found !== undefined);
      if (digest) return { reference, kind: "unverified_local", digest };
    }
  }
  return null;
}
