/** Whether the real Docker engine and the locally built test images are there. CI must have them. */
import { spawnSync } from "node:child_process";

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
