/**
 * The `multiverse` command line. Exit codes: 0 all runs succeeded (or the command did what it was asked),
 * 1 some run failed (or drift was found), 2 bad input. User mistakes print `file:line: field: message [CODE]`
 * without a stack trace. The commands are defined in program.ts; each command's module loads only when it runs.
 */
import { CommanderError } from "commander";
import { Errors, EXIT_BAD_INPUT, EXIT_OK, isMultiverseError, type MultiverseError } from "../domain/errors.js";
import { describeStorageFailure } from "../domain/storage-errors.js";
import { processIo, type Io } from "./output.js";
import { buildProgram } from "./program.js";
import { commandTree, findUnknownCommand, unknownCommandError } from "./unknown-command.js";

export { buildProgram } from "./program.js";

function report(io: Io, error: MultiverseError): number {
  io.err(`error: ${error.format()}`);
  return error.exitCode;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  const unknown = findUnknownCommand(commandTree(program), argv);
  if (unknown) return report(io, unknownCommandError(unknown));
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT_OK;
      // Help printed because a command group was given no subcommand (`multiverse get`) is a usage error;
      // `multiverse` alone and `help <command>` are asking for help.
      if (error.code === "commander.help") return error.exitCode === 0 || argv.length === 0 ? EXIT_OK : EXIT_BAD_INPUT;
      return EXIT_BAD_INPUT;
    }
    if (isMultiverseError(error)) return report(io, error);
    // A read-only, full or inaccessible state root is the user's to fix, not a crash.
    const storage = describeStorageFailure(error);
    if (storage) return report(io, Errors.stateUnusable(storage, { cause: error }));
    throw error;
  }
}
