/**
 * Help text and usage failures, the same for every subcommand: `--help` prints the synopsis and one
 * line per option with its default (stdout, exit 0); a usage error is one line on stderr (exit 2) that
 * never repeats an argument's value (it may be a key or a token).
 */
import { EXIT_USAGE } from "./exit-codes.js";

export interface OptionHelp {
  /** The flag and its value, as typed: `--timeout MS`. */
  readonly flag: string;
  readonly what: string;
  /** What applies when the flag is not given; every option states one. */
  readonly default: string;
}

/** `usage: <synopsis>` and an aligned table of the options with their defaults. */
export function formatHelp(synopsis: string, options: readonly OptionHelp[]): string {
  const width = Math.max(...options.map((o) => o.flag.length));
  const rows = options.map((o) => `  ${o.flag.padEnd(width)}  ${o.what} (default: ${o.default})`);
  return `usage: ${synopsis}\n${rows.join("\n")}\n`;
}

/** True when the arguments ask for help (`-h` or `--help` anywhere after the subcommand). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

/** Writes the one-line usage failure of `command` ("idpgate verify") and returns the exit code. */
export function usageFailure(command: string, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${command}: ${message.replace(/\s*\n\s*/g, " ")} (see ${command} --help)\n`);
  return EXIT_USAGE;
}
