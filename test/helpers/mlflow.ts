/** A real MLflow tracking server for integration tests: scripts/start-mlflow.sh in a temporary directory. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { repoRoot } from "../../src/util/paths.js";
import { processGroupAlive, waitUntil } from "./wait.js";

export interface TestMlflowServer {
  uri: string;
  port: number;
  dir: string;
  /** Stops the server and resolves once its process group is gone (so the port is free and the server really down). */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts (or restarts, on the same directory and port) a server; fails with the script's output if it cannot. */
export function startMlflow(dir: string, port: number): TestMlflowServer {
  const result = spawnSync("bash", [join(repoRoot(), "scripts", "start-mlflow.sh")], {
    encoding: "utf8",
    env: { ...process.env, MULTIVERSE_MLFLOW_DIR: dir, MULTIVERSE_MLFLOW_PORT: String(port), MULTIVERSE_MLFLOW_HOST: "127.0.0.1" },
    timeout: 150_000,
  });
  if (result.status !== 0) {
    throw new Error(`scripts/start-mlflow.sh failed (exit ${result.status}); run scripts/setup-mlflow.sh first.\n${result.stdout}\n${result.stderr}`);
  }
  const pid = Number(readFileSync(join(dir, "server.pid"), "utf8").trim());
  return {
    uri: result.stdout.trim(),
    port,
    dir,
    stop: async () => {
      const alive = () => processGroupAlive(pid);
      try {
        process.kill(-pid, "SIGTERM"); // the server's own process group (setsid in the script)
      } catch {
        return; // already gone
      }
      try {
        await waitUntil("the MLflow server to stop after SIGTERM", alive, (up) => !up, { timeoutMs: 20_000 });
      } catch {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          return; // gone in between
        }
        await waitUntil("the MLflow server to be gone after SIGKILL", alive, (up) => !up);
      }
    },
  };
}
