/** The flags of `multiverse verify` (its work is in commands/verify.ts, loaded when it runs). */
import type { Command } from "commander";
import type { Io } from "./output.js";

export function registerVerifyCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command("verify <path>")
    .description("verify every file of a bundle, or of every bundle under a state root, against its manifest and checksums")
    .option("--json", "machine-readable output")
    .action(async (path: string, options: { json?: boolean }) => setExit(await (await import("./commands/verify.js")).verifyCommand(path, options, io)));
}
