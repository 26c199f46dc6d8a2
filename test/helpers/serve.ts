/** Starts `multiverse serve` as a child process and waits for the address it prints. */
import { spawn, type ChildProcess } from "node:child_process";
import { CLI } from "./cli.js";

export interface ServeProcess {
  child: ChildProcess;
  /** http://host:port */
  address: string;
  output(): string;
  stop(): Promise<number | null>;
}

export function startServe(args: string[], timeoutMs = 20_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`multiverse serve printed no address within ${timeoutMs} ms:\n${text}`));
    }, timeoutMs);
    const onData = (data: Buffer) => {
      text += data.toString();
      const match = /^Dashboard: (http:\/\/\S+)\/dashboard\/$/m.exec(text);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        child,
        address: match[1]!,
        output: () => text,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          return exited;
        },
      });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`multiverse serve exited (${code}) before printing its address:\n${text}`));
    });
  });
}
