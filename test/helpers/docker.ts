/** Whether the real Docker engine and the locally built test images are there. CI must have them. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const CONTRACT_TEST_IMAGE = process.env.MULTIVERSE_CONTRACT_TEST_IMAGE ?? "multiverse-contract-test:dev";

export function dockerUnavailableReason(images: string[] = [CONTRACT_TEST_IMAGE]): string | undefined {
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8" });
  if (info.status !== 0) return "no Docker engine answers (run scripts/start-dockerd.sh)";
  for (const image of images) {
    const inspect = spawnSync("docker", ["image", "inspect", image], { encoding: "utf8" });
    if (inspect.status !== 0) return `image ${image} is missing (run scripts/build-images.sh)`;
  }
  return undefined;
}

/** In CI a missing engine is a failure, not a skip: the suite must prove the real thing. */
export function requireDockerOrSkip(images?: string[]): string | undefined {
  const reason = dockerUnavailableReason(images);
  if (reason && process.env.CI) throw new Error(`CI needs the Docker engine: ${reason}`);
  return reason;
}

export interface EngineContainer {
  id: string;
  name: string;
  /** The engine's state: created, running, exited, ... */
  state: string;
  attemptId: string;
}

/** The owner id a state root's processes label their containers with (undefined before the first run). */
export function ownerIdOf(stateRoot: string): string | undefined {
  const file = join(stateRoot, "owner-id");
  return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

/** Every container the engine holds for a state root's owner (found by label, as adoption finds them), in any state. */
export function ownedContainers(stateRoot: string): EngineContainer[] {
  const owner = ownerIdOf(stateRoot);
  if (!owner) return [];
  const listed = spawnSync("docker", ["ps", "-a", "--filter", `label=io.multiverse.owner=${owner}`, "--format", '{{.ID}}|{{.Names}}|{{.State}}|{{.Label "io.multiverse.attempt-id"}}'], { encoding: "utf8" });
  if (listed.status !== 0) throw new Error(`docker ps failed: ${listed.stderr.trim()}`);
  return listed.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id, name, state, attemptId] = line.split("|");
      return { id: id!, name: name!, state: state!, attemptId: attemptId ?? "" };
    });
}

export function showContainers(containers: EngineContainer[]): string {
  return containers.length === 0 ? "no containers" : containers.map((c) => `${c.name} ${c.state}`).join(", ");
}
