#!/usr/bin/env node
/**
 * idpgate CLI dispatcher: `idpgate <subcommand> ...`. Each subcommand is one module exporting
 * `run(argv): Promise<number>` (the exit code) and its `--help` text; add one line to COMMANDS to add one.
 * `--help` (or `-h`) anywhere after a subcommand prints its help and exits 0 without running it.
 */
import { EXIT_OK, EXIT_USAGE, exitCodeForError } from "./exit-codes.js";
import { wantsHelp } from "./usage.js";

export interface Subcommand {
  readonly summary: string;
  /** The usage with every option and its default. */
  readonly help: string;
  run(argv: readonly string[]): Promise<number>;
}

const COMMANDS: Readonly<Record<string, () => Promise<Subcommand>>> = {
  coap: async () => (await import("./coap.js")).command,
  idp: async () => (await import("./idp.js")).command,
  introspect: async () => (await import("./introspect.js")).command,
  verify: async () => (await import("./verify.js")).command,
};

async function usage(): Promise<string> {
  const rows = await Promise.all(Object.entries(COMMANDS).map(async ([name, load]) => `  ${name.padEnd(10)}  ${(await load()).summary}`));
  return `usage: idpgate <command> [args] (idpgate <command> --help for its options)\n${rows.join("\n")}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "-h" || name === "--help") {
    process.stdout.write(await usage());
    return EXIT_OK;
  }
  const load = name === undefined || !Object.hasOwn(COMMANDS, name) ? undefined : COMMANDS[name];
  if (load === undefined) {
    process.stderr.write(`${name === undefined ? "" : `unknown command: ${name}\n`}${await usage()}`);
    return EXIT_USAGE;
  }
  const command = await load();
  if (wantsHelp(rest)) {
    process.stdout.write(command.help);
    return EXIT_OK;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`idpgate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = exitCodeForError(error);
  },
);
