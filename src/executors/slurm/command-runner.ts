/** The narrow seam between the Slurm executor and the cluster's command-line tools (sbatch, squeue, scancel, ...). */
import { execFile } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(command: string, args: readonly string[], options?: { timeoutMs?: number }): Promise<CommandResult>;
}

/** Runs real binaries. A missing binary is exit code 127 with the reason in stderr, never a throw. */
export const processRunner: CommandRunner = {
  run: (command, args, options = {}) =>
    new Promise((resolve) => {
      execFile(command, [...args], { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
        if (!error) return resolve({ code: 0, stdout, stderr });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return resolve({ code: 127, stdout: "", stderr: `${command}: command not found` });
        const exit = typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : 1;
        resolve({ code: exit, stdout: stdout ?? "", stderr: stderr || error.message });
      });
    }),
};
