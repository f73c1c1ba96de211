/**
 * Arguments shared by `idpgate introspect` and `idpgate verify`: the endpoint URL, the token (on the
 * command line, from a file, or `-` for stdin: the last two keep it out of the process list), client
 * credentials, DTLS flags, a timeout and the answer limit.
 */
import { readFileSync } from "node:fs";
import { MAX_BODY_BYTES, parseCoapUri } from "../../../src/coap/index.js";
import { INTROSPECT_TIMEOUT_MS, MAX_ANSWER_BYTES } from "../../../src/idp/index.js";
import type { IdpConnectionOptions } from "../idp-connection.js";
import { intArg, scanArgs } from "./args.js";
import { DTLS_USAGE, dtlsHelp, dtlsOptions, type DtlsFlags } from "./dtls-flags.js";
import { UsageError } from "./exit-codes.js";
import type { OptionHelp } from "./usage.js";

export const IDP_USAGE = `<coaps://host[:port]/idp/introspect> (--token T | --token-file F | --token -) [--client-id ID --client-secret S] ${DTLS_USAGE} [--timeout MS] [--max-answer-bytes N]`;

/** The shared options in `--help`, with their defaults. */
export const IDP_HELP: readonly OptionHelp[] = [
  { flag: "--token T", what: "the token; - reads it from stdin", default: "none; one of --token, --token-file is needed" },
  { flag: "--token-file F", what: "read the token from a file (keeps it out of the process list)", default: "none" },
  { flag: "--client-id ID", what: "client_id sent with the token", default: "none" },
  { flag: "--client-secret S", what: "client_secret sent with the token (coaps:// only)", default: "none" },
  ...dtlsHelp("client"),
  { flag: "--timeout MS", what: "give up after this long, retransmissions included", default: String(INTROSPECT_TIMEOUT_MS) },
  {
    flag: "--max-answer-bytes N",
    what: `largest introspection answer accepted (Block2), 1..${MAX_BODY_BYTES}; larger is idp.answer_too_large`,
    default: String(MAX_ANSWER_BYTES),
  },
];

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
  let maxAnswerBytes: number | undefined;
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
      case "--max-answer-bytes":
        maxAnswerBytes = intArg(arg, value(), 1, MAX_BODY_BYTES);
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
    ...(maxAnswerBytes === undefined ? {} : { maxAnswerBytes }),
  };
  return { url, token, connection };
}
