/**
 * `idpgate verify <url> --token T [--scope S]... [--issuer ISS] [--subject SUB]... [--client-id ID
 *  --client-secret S] <dtls flags> [--timeout MS] [--max-answer-bytes N]`
 *
 * Runs the device's TokenVerifier once (coaps:// only, as on a device) and prints its decision as JSON. The exit code comes from the
 * decision's reason (exit-codes.ts): 0 allowed, 1 denied by policy (inactive, expired, scope, issuer,
 * subject), 2 a token that cannot be sent, other codes per provider outcome; never 0 on an error.
 */
import type { PskCredential } from "../dtls/options.js";
import { TokenVerifier, type TokenVerifierOptions } from "../token-verifier.js";
import { exitCodeForDecision } from "./exit-codes.js";
import { IDP_HELP, IDP_USAGE, parseIdpArgs, type IdpArgs } from "./idp-args.js";
import { formatHelp, usageFailure } from "./usage.js";
import type { Subcommand } from "./main.js";

const NAME = "idpgate verify";

interface Requirements {
  scope: string[];
  issuer?: string;
  subjects: string[];
}

async function run(argv: readonly string[]): Promise<number> {
  let args: IdpArgs;
  const requirements: Requirements = { scope: [], subjects: [] };
  try {
    args = parseIdpArgs(argv, (arg, value) => {
      if (arg === "--scope") requirements.scope.push(value());
      else if (arg === "--issuer") requirements.issuer = value();
      else if (arg === "--subject") requirements.subjects.push(value());
      else return false;
      return true;
    });
  } catch (error) {
    return usageFailure(NAME, error);
  }
  let verifier: TokenVerifier;
  try {
    verifier = new TokenVerifier(verifierOptions(args));
  } catch (error) {
    return usageFailure(NAME, error); // coap:// (a device verifies over coaps:// only), bad credentials
  }
  try {
    const decision = await verifier.verify(args.token, {
      ...(requirements.scope.length === 0 ? {} : { scope: requirements.scope }),
      ...(requirements.issuer === undefined ? {} : { issuer: requirements.issuer }),
      ...(requirements.subjects.length === 0 ? {} : { subjects: requirements.subjects }),
    });
    process.stdout.write(`${JSON.stringify(decision)}\n`);
    return exitCodeForDecision(decision);
  } finally {
    verifier.close();
  }
}

/** The CLI's connection flags as the TokenVerifier a device would build. */
function verifierOptions(args: IdpArgs): TokenVerifierOptions {
  const { dtls, ...connection } = args.connection;
  const psk = dtls?.psk as PskCredential | undefined; // a client offers one PSK
  return {
    ...connection,
    url: args.url,
    ...(psk === undefined ? {} : { psk }),
    ...(dtls?.ca === undefined ? {} : { ca: dtls.ca }),
    ...(dtls?.serverName === undefined ? {} : { serverName: dtls.serverName }),
    ...(dtls?.pin === undefined ? {} : { pin: dtls.pin }),
    ...(dtls?.certificate === undefined ? {} : { certificate: dtls.certificate }),
    ...(dtls?.privateKey === undefined ? {} : { privateKey: dtls.privateKey }),
  };
}

export const command: Subcommand = {
  summary: "verify a token against requirements, as a device does",
  help: formatHelp(`${NAME} ${IDP_USAGE} [--scope S]... [--issuer ISS] [--subject SUB]...`, [
    ...IDP_HELP,
    { flag: "--scope S", what: "a scope the token must grant (repeat for several, all needed)", default: "no scope required" },
    { flag: "--issuer ISS", what: "the `iss` the answer must carry", default: "any issuer" },
    { flag: "--subject SUB", what: "an accepted `sub` (repeat for several, any one)", default: "any subject" },
  ]),
  run,
};
