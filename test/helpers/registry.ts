/** A real OCI registry (Debian's docker-registry) for integration tests: scripts/start-registry.sh in a temporary directory. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../src/util/paths.js";
import { freePort } from "./mlflow.js";
import { processGroupAlive, waitUntil } from "./wait.js";

export interface TestRegistry {
  /** host:port */
  address: string;
  stop(): Promise<void>;
}

export function registryUnavailableReason(): string | undefined {
  return spawnSync("docker-registry", ["--version"], { encoding: "utf8" }).status === 0 ? undefined : "docker-registry is not installed (apt-get install docker-registry; scripts/setup.sh does)";
}

/** In CI a missing registry is a failure, not a skip. */
export function requireRegistryOrSkip(): string | undefined {
  const reason = registryUnavailableReason();
  if (reason && process.env.CI) throw new Error(`CI needs the registry: ${reason}`);
  return reason;
}

export async function startRegistry(dir: string): Promise<TestRegistry> {
  const port = await freePort();
  const result = spawnSync("bash", [join(repoRoot(), "scripts", "start-registry.sh")], {
    encoding: "utf8",
    env: { ...process.env, MULTIVERSE_REGISTRY_DIR: dir, MULTIVERSE_REGISTRY_PORT: String(port) },
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`scripts/start-registry.sh failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  const pid = Number(readFileSync(join(dir, "registry.pid"), "utf8").trim());
  const alive = () => processGroupAlive(pid);
  return {
    address: result.stdout.trim(),
    stop: async () => {
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        return;
      }
      await waitUntil("the registry to stop after SIGTERM", alive, (up) => !up, { timeoutMs: 20_000 });
    },
  };
}
