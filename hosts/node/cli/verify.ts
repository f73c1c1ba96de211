/**
 * `idpgate verify <url> --token T [--scope S]... [--issuer ISS] [--subject SUB]... [--client-id ID
 *  --client-secret S] <dtls flags> [--timeout MS]`
 *
 * Runs the on-device verifier once and prints its decision as JSON. Exit 0 allowed, 1 denied by policy
 * (inactive, expired, scope, issuer, subject), other codes per error class; never 0 on an error.
 */
import { Verifier } from "../../../src/verifier/index.js";
import { connectIdp } from "../idp-connection.js";
import { nodeMonotonicClock, nodeRandom, nodeWallClock } from "../ports.js";
import { EXIT_NOT_SUCCESS, EXIT_OK, EXIT_USAGE, exitCodeForCode } from "./exit-codes.js";
import { IDP_USAGE, parseIdpArgs } from "./idp-args.js";
import type { Subcommand } from "./main.js";

const USAGE = `usage: idpgate verify ${IDP_USAGE} [--scope S]... [--issuer ISS] [--subject SUB]...\n`;

const POLICY_DENIALS = new Set(["inactive", "expired", "scope", "issuer", "subject"]);

interface Requirements {
  scope: string[];
  issuer?: string;
  subjects: string[];
}

async function run(argv: readonly string[]): Promise<number> {
  let url: string;
  let token: string;
  let requirements: Requirements;
  let connection;
  try {
    const r: Requirements = { scope: [], subjects: [] };
    ({ url, token, connection } = parseIdpArgs(argv, (arg, value) => {
      if (arg === "--scope") r.scope.push(value());
      else if (arg === "--issuer") r.issuer = value();
      else if (arg === "--subject") r.subjects.push(value());
      else return false;
      return true;
    }));
    requirements = r;
  } catch (error) {
    process.stderr.write(`idpgate verify: ${(error as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const idp = connectIdp(url, connection);
  const verifier = new Verifier({
    introspector: idp.introspector,
    clock: nodeMonotonicClock,
    wallClock: nodeWallClock,
    random: nodeRandom,
  });
  try {
    const decision = await verifier.verify(token, {
      ...(requirements.scope.length === 0 ? {} : { scope: requirements.scope }),
      ...(requirements.issuer === undefined ? {} : { issuer: requirements.issuer }),
      ...(requirements.subjects.length === 0 ? {} : { subjects: requirements.subjects }),
    });
    process.stdout.write(`${JSON.stringify(decision)}\n`);
    if (decision.allowed) return EXIT_OK;
    if (POLICY_DENIALS.has(decision.reason)) return EXIT_NOT_SUCCESS;
    return exitCodeForCode(decision.errorCode ?? (decision.reason === "rate_limited" ? "verifier.rate_limited" : "idp.unavailable"));
  } finally {
    idp.close();
  }
}

export const command: Subcommand = { summary: "verify a token against requirements, as a device does", run };
