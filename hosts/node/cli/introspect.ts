/**
 * `idpgate introspect <url> --token T [--client-id ID --client-secret S] <dtls flags> [--timeout MS]`
 *
 * Asks the provider about one token and prints its answer as JSON. Exit 0 active, 1 inactive, other
 * codes per error class (exit-codes.ts). The token itself is never printed.
 */
import { connectIdp } from "../idp-connection.js";
import { EXIT_NOT_SUCCESS, EXIT_OK, EXIT_USAGE, exitCodeForError } from "./exit-codes.js";
import { IDP_USAGE, parseIdpArgs, type IdpArgs } from "./idp-args.js";
import { describeError } from "./describe-error.js";
import type { Subcommand } from "./main.js";

const USAGE = `usage: idpgate introspect ${IDP_USAGE}\n`;

async function run(argv: readonly string[]): Promise<number> {
  let args: IdpArgs;
  try {
    args = parseIdpArgs(argv);
  } catch (error) {
    process.stderr.write(`idpgate introspect: ${(error as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const idp = connectIdp(args.url, args.connection);
  try {
    const claims = await idp.introspector.introspect(args.token);
    process.stdout.write(`${JSON.stringify(claims.toJSON())}\n`);
    return claims.active ? EXIT_OK : EXIT_NOT_SUCCESS;
  } catch (error) {
    process.stderr.write(`idpgate introspect: ${describeError(error)}\n`);
    return exitCodeForError(error);
  } finally {
    idp.close();
  }
}

export const command: Subcommand = { summary: "ask the identity provider about a token", run };
