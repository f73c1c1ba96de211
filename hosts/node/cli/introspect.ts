/**
 * `idpgate introspect <url> --token T [--client-id ID --client-secret S] <dtls flags> [--timeout MS]
 *  [--max-answer-bytes N]`
 *
 * Asks the provider about one token and prints its answer as JSON. Exit 0 active, 1 inactive, other
 * codes per error class (exit-codes.ts). The token itself is never printed.
 */
import { connectIdp } from "../idp-connection.js";
import { EXIT_NOT_SUCCESS, EXIT_OK, exitCodeForError } from "./exit-codes.js";
import { IDP_HELP, IDP_USAGE, parseIdpArgs, type IdpArgs } from "./idp-args.js";
import { describeError } from "./describe-error.js";
import { formatHelp, usageFailure } from "./usage.js";
import type { Subcommand } from "./main.js";

const NAME = "idpgate introspect";

async function run(argv: readonly string[]): Promise<number> {
  let args: IdpArgs;
  try {
    args = parseIdpArgs(argv);
  } catch (error) {
    return usageFailure(NAME, error);
  }
  const idp = connectIdp(args.url, args.connection);
  try {
    const claims = await idp.introspector.introspect(args.token);
    process.stdout.write(`${JSON.stringify(claims.toJSON())}\n`);
    return claims.active ? EXIT_OK : EXIT_NOT_SUCCESS;
  } catch (error) {
    process.stderr.write(`${NAME}: ${describeError(error)}\n`);
    return exitCodeForError(error);
  } finally {
    idp.close();
  }
}

export const command: Subcommand = {
  summary: "ask the identity provider about a token",
  help: formatHelp(`${NAME} ${IDP_USAGE}`, IDP_HELP),
  run,
};
