/**
 * `idpgate idp serve [--port N] [--bind ADDR] [--psk-id ID --psk KEY | --cert F --key F] [--tokens FILE]
 *  [--client ID:SECRET]... [--fault delay=MS,drop=P,error500=P,garbage=P,large=P] [--plain]`
 *
 * The local identity provider: /idp/introspect and /as/token over CoAPS (our DTLS server role), as
 * ../shared/IDP-API.md documents them. Prints "listening on coaps://ADDR:PORT" once ready, then one log
 * line per request on stderr; tokens appear only as a short digest tag. Runs until SIGINT/SIGTERM.
 */
import { IdpServer } from "../idp/server.js";
import { Provider, parseFaults, type Faults } from "../idp/provider.js";
import { TokenStore } from "../idp/token-store.js";
import type { DtlsOptions } from "../dtls/options.js";
import { listenDtls, listenUdp } from "../server-transport.js";
import { intArg, scanArgs } from "./args.js";
import { dtlsHelp, dtlsOptions, type DtlsFlags } from "./dtls-flags.js";
import { EXIT_OK, UsageError } from "./exit-codes.js";
import { formatHelp, usageFailure } from "./usage.js";
import type { Subcommand } from "./main.js";

const NAME = "idpgate idp";
const DEFAULT_PORT = 5684;
const DEFAULT_BIND = "127.0.0.1";

const HELP = formatHelp(
  `${NAME} serve [--port N] [--bind ADDR] [--psk-id ID --psk KEY | --cert FILE --key FILE] [--ca FILE] [--tokens FILE] [--client ID:SECRET]... [--fault delay=MS,drop=P,error500=P,garbage=P,large=P] [--plain]`,
  [
    { flag: "--port N", what: "UDP port, 0 for any free one", default: String(DEFAULT_PORT) },
    { flag: "--bind ADDR", what: "address to listen on", default: DEFAULT_BIND },
    ...dtlsHelp("server"),
    { flag: "--tokens FILE", what: 'tokens it knows, a JSON array (README, "Tokens file")', default: "none; /as/token issues them" },
    { flag: "--client ID:SECRET", what: "require these client credentials (repeat for several)", default: "none required" },
    {
      flag: "--fault SPEC",
      what: "inject faults: delay=MS,drop=P,error500=P,garbage=P,large=P (P a probability 0..1)",
      default: "no faults",
    },
    { flag: "--plain", what: "plain CoAP over UDP instead of CoAPS", default: "CoAPS" },
  ],
);

interface ServeArgs {
  port: number;
  bind: string;
  dtls: DtlsFlags;
  tokens?: string;
  clients: Map<string, string>;
  faults?: Faults;
  plain: boolean;
}

export function parseServeArgs(argv: readonly string[]): ServeArgs {
  const a: ServeArgs = { port: DEFAULT_PORT, bind: DEFAULT_BIND, dtls: {}, clients: new Map(), plain: false };
  scanArgs(argv, a.dtls, (arg, value) => {
    switch (arg) {
      case "--port":
        a.port = intArg(arg, value(), 0, 65535);
        break;
      case "--bind":
        a.bind = value();
        break;
      case "--tokens":
        a.tokens = value();
        break;
      case "--client": {
        const v = value();
        const colon = v.indexOf(":");
        if (colon <= 0 || colon === v.length - 1) throw new UsageError("--client needs ID:SECRET");
        a.clients.set(v.slice(0, colon), v.slice(colon + 1));
        break;
      }
      case "--fault":
        try {
          a.faults = parseFaults(value());
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        break;
      case "--plain":
        a.plain = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  });
  return a;
}

async function run(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  let args: ServeArgs;
  let dtls: DtlsOptions | undefined;
  const store = new TokenStore();
  let loaded = 0;
  try {
    if (verb !== "serve") throw new UsageError(verb === undefined ? "need a verb: serve" : `unknown verb ${verb}`);
    args = parseServeArgs(rest);
    dtls = args.plain ? undefined : dtlsOptions(args.dtls, "server");
    // A bad file is the caller's: TokensFileError is a usage error, and names no byte of the file.
    if (args.tokens !== undefined) loaded = store.loadFile(args.tokens);
  } catch (error) {
    return usageFailure(NAME, error);
  }
  const log = (line: string): void => {
    process.stderr.write(`[idp] ${line}\n`);
  };
  if (args.tokens !== undefined) log(`loaded ${loaded} tokens from ${args.tokens}`);
  const provider = new Provider({ store, clients: args.clients, log, ...(args.faults === undefined ? {} : { faults: args.faults }) });
  let transport;
  try {
    transport = dtls === undefined ? await listenUdp(args.port, args.bind) : await listenDtls(args.port, args.bind, dtls, log);
  } catch (error) {
    return usageFailure(NAME, error);
  }
  const server = new IdpServer(transport, provider);
  const host = args.bind.includes(":") ? `[${args.bind}]` : args.bind;
  process.stdout.write(`listening on ${args.plain ? "coap" : "coaps"}://${host}:${server.port}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  return EXIT_OK;
}

export const command: Subcommand = { summary: "run the local identity provider (idp serve ...)", help: HELP, run };
