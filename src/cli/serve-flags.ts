/** The flags of `multiverse serve` (its work is in commands/serve.ts, loaded when it runs). */
import type { Command } from "commander";
import type { Io } from "./output.js";
import { nonEmpty } from "./flags.js";
import { withStateRoot } from "./state-root-option.js";

export function registerServeCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  withStateRoot(program.command("serve").description("serve the status API and the dashboard for a state root, read-only: no controller needed"))
    .option("--listen <host:port>", "where to listen (off loopback a token is required)", "127.0.0.1:8080")
    .option("--token <token>", "bearer token for mutating API calls (or $MULTIVERSE_API_TOKEN)", nonEmpty("--token"))
    .option("--token-file <file>", "read the bearer token from a file", nonEmpty("--token-file"))
    .action(async (options) => setExit(await (await import("./commands/serve.js")).serveCommand(options, io)));
}
