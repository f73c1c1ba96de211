/**
 * Arguments shared by `idpgate introspect` and `idpgate verify`: the endpoint URL, the token (on the
 * command line, from a file, or `-` for stdin: the last two keep it out of the process list), client
 * credentials, DTLS flags and a timeout.
 */
import { readFileSync } from "node:fs";
import { parseCoapUri } from "../../../src/coap/index.js";
import type { IdpConnectionOptions } from "../idp-connection.js";
import { DTLS_USAGE, dtlsOptions, takeDtlsFlag, type DtlsFlags } from "./dtls-flags.js";
import { UsageError } from "./exit-codes.js";

export const IDP_USAGE = `<coaps://host[:port]/idp/introspect> (--token T | --token-file F | --token -) [--client-id ID --client-secret S] ${DTLS_USAGE} [--timeout MS]`;

export interface IdpArgs {
  readonly url: string;
  readonly token: string;
  readonly connection: IdpConnectionOptions;
  /** Flags this parser did not know, for the subcommand's own parser. */
  readonly rest: readonly string[];
}

function readToken(source: string): string {
  try {
    return readFileSync(source === "-" ? 0 : source, "utf8").trim();
  } catch (error) {
    throw new UsageError(`cannot read the token from ${source === "-" ? "stdin" : source}: ${(error as Error).message}`);
  }
}

export function parseIdpArgs(argv: readonly string[]): IdpArgs {
  const dtls: DtlsFlags = {};
  const rest: string[] = [];
  const positional: string[] = [];
  let token: string | undefined;
  let clientId: string | undefined;
  let clientSecret: string | undefined;
  let timeoutMs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const taken = takeDtlsFlag(argv, i, dtls);
    if (taken > 0) {
      i += taken - 1;
      continue;
    }
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
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
      case "--timeout": {
        const v = value();
        if (!/^[0-9]+$/.test(v) || Number(v) === 0) throw new UsageError("--timeout needs a positive number of milliseconds");
        timeoutMs = Number(v);
        break;
      }
      default:
        if (arg.startsWith("-")) {
          rest.push(arg);
          if (i + 1 < argv.length && !argv[i + 1]!.startsWith("-")) rest.push(argv[++i]!);
        } else positional.push(arg);
    }
  }
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
  return { url, token, connection, rest };
}
