/**
 * Parsers for flag values, run by commander while it reads the command line: a bad value is refused (exit 2)
 * before a command's module is even loaded, so nothing can start on a flag that is wrong.
 */
import { InvalidArgumentError } from "commander";

/** An integer of at least `minimum` (0 for counts and seeds that may be 0, 1 for sizes and timeouts). */
export function integerAtLeast(flag: string, minimum: number): (value: string) => number {
  return (value: string) => {
    const trimmed = value.trim();
    if (!/^-?\d+$/.test(trimmed)) throw new InvalidArgumentError(`${flag} must be an integer, got "${value}"`);
    const number = Number(trimmed);
    if (!Number.isSafeInteger(number)) throw new InvalidArgumentError(`${flag} is too large: "${value}"`);
    if (number < minimum) throw new InvalidArgumentError(`${flag} must be at least ${minimum}, got ${number}`);
    return number;
  };
}

/** A finite number above 0 (minutes, GiB). */
export function positiveNumber(flag: string): (value: string) => number {
  return (value: string) => {
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`${flag} must be a number above 0, got "${value}"`);
    return number;
  };
}

/** A value that must not be empty (paths, names, tokens): `--watch ""` is a mistake, not the current directory. */
export function nonEmpty(flag: string): (value: string) => string {
  return (value: string) => {
    if (value.trim() === "") throw new InvalidArgumentError(`${flag} must not be empty`);
    return value;
  };
}
