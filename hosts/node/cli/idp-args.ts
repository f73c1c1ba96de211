/**
 * Arguments shared by `idpgate introspect` and `idpgate verify`: the endpoint URL, the token (on the
 * command line, from a file, or `-` for stdin: the last two keep it out of the process list), client
 * credentials, DTLS flags and a timeout.
 */
import { readFileSync } from "node:fs";
import { parseCoapUri } from "../../../src/coap/index.js";
import type { IdpConnectionOptions } from "../idp-connection.js";
import { intArg, scanArgs } from "./args.js";
import { DTLS_USAGE, dtlsOptions, type DtlsFlags } from "./dtls-flags.js";
import { UsageError } from "./exit-codes.js";

export const IDP_USAGE = `<coaps://host[:port]/idp/introspect> (--token T | --token-file F | --token -) [--client-id ID --client-secret S] ${DTLS_USAGE} [--timeout MS]`;

export interface IdpArgs {
  readonly url: string;
  readonly token: string;
  readonly connection: IdpConnectionOptions;
}

/** A subcommand's own flags: returns false for a flag it does not know. */
export type ExtraFlags = (arg: string, value: () => string) => boolean;

function readToken(source: string): string {
  try {
    return readFileSync(source === "-" ? 0 : source, "utf8").trim();
  } catch (error) {
    throw new UsageError(`cannot read the token from ${source === "-" ? "stdin" : source}: ${(error as Error).message}`);
  }
}

export function parseIdpArgs(argv: readonly string[], extra: ExtraFlags = () => false): IdpArgs {
  const dtls: DtlsFlags = {};
  const positional: string[] = [];
  let token: string | undefined;
  let clientId: string | undefined;
  let clientSecret: string | undefined;
  let timeoutMs: number | undefined;
  scanArgs(argv, dtls, (arg, value) => {
    switch (arg) {
      case "--token": {
        const v = value();
        token = v === "-" ? readToken("-") : v;
        break;
      }
      case "--token-file":
        token = readToken(value());
        break;
      case "--client-id":
        clientId = value();
        break;
      case "--client-secret":
        clientSecret = value();
        break;
      case "--timeout":
        timeoutMs = intArg(arg, value(), 1, 86_400_000);
        break;
      default:
        if (!arg.startsWith("-")) positional.push(arg);
        else if (!extra(arg, value)) throw new UsageError(`unknown option ${arg}`);
    }
  });
  if (positional.length !== 1) throw new UsageError("need exactly one URL");
  if (token === undefined || token === "") throw new UsageError("need a token: --token T, --token-file F or --token -");
  if ((clientId === undefined) !== (clientSecret === undefined)) throw new UsageError("--client-id and --client-secret go together");
  const url = positional[0]!;
  let secure: boolean;
  try {
    secure = parseCoapUri(url).secure;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!secure && clientSecret !== undefined) throw new UsageError("--client-secret goes only over coaps:// with an authenticated server");
  const connection: IdpConnectionOptions = {
    ...(secure ? { dtls: dtlsOptions(dtls, "client") } : {}),
    ...(clientId === undefined ? {} : { clientId }),
    ...(clientSecret === undefined ? {} : { clientSecret }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  return { url, token, connection };
}
