#!/usr/bin/env node
/**
 * idpgate CLI dispatcher: `idpgate <subcommand> ...`. Each subcommand is one module exporting
 * `run(argv): Promise<number>` (the exit code); add one line to COMMANDS to add one.
 */
import { EXIT_USAGE, exitCodeForError } from "./exit-codes.js";

export interface Subcommand {
  readonly summary: string;
  run(argv: readonly string[]): Promise<number>;
}

const COMMANDS: Readonly<Record<string, () => Promise<Subcommand>>> = {
  coap: async () => (await import("./coap.js")).command,
  idp: async () => (await import("./idp.js")).command,
  introspect: async () => (await import("./introspect.js")).command,
  verify: async () => (await import("./verify.js")).command,
};

function usage(): string {
  return `usage: idpgate <command> [args]\ncommands: ${Object.keys(COMMANDS).join(", ")}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const load = name === undefined ? undefined : COMMANDS[name];
  if (load === undefined) {
    process.stderr.write(name === undefined || name === "-h" || name === "--help" ? usage() : `unknown command: ${name}\n${usage()}`);
    return EXIT_USAGE;
  }
  return (await load()).run(rest);
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
