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
import { listenDtls, listenUdp } from "../server-transport.js";
import { intArg, scanArgs } from "./args.js";
import { DTLS_USAGE, dtlsOptions, type DtlsFlags } from "./dtls-flags.js";
import { EXIT_OK, EXIT_USAGE, UsageError } from "./exit-codes.js";
import type { Subcommand } from "./main.js";

const USAGE = `usage: idpgate idp serve [--port N] [--bind ADDR] ${DTLS_USAGE} [--tokens FILE] [--client ID:SECRET]... [--fault delay=MS,drop=P,error500=P,garbage=P,large=P] [--plain]\n`;

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
  const a: ServeArgs = { port: 5684, bind: "127.0.0.1", dtls: {}, clients: new Map(), plain: false };
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
  try {
    if (verb !== "serve") throw new UsageError(verb === undefined ? "need a verb" : `unknown verb ${verb}`);
    args = parseServeArgs(rest);
  } catch (error) {
    process.stderr.write(`idpgate idp: ${(error as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const log = (line: string): void => {
    process.stderr.write(`[idp] ${line}\n`);
  };
  const store = new TokenStore();
  if (args.tokens !== undefined) log(`loaded ${store.loadFile(args.tokens)} tokens from ${args.tokens}`);
  const provider = new Provider({ store, clients: args.clients, log, ...(args.faults === undefined ? {} : { faults: args.faults }) });
  let transport;
  try {
    transport = args.plain
      ? await listenUdp(args.port, args.bind)
      : await listenDtls(args.port, args.bind, dtlsOptions(args.dtls, "server"), log);
  } catch (error) {
    process.stderr.write(`idpgate idp: ${(error as Error).message}\n${error instanceof UsageError ? USAGE : ""}`);
    return EXIT_USAGE;
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

export const command: Subcommand = { summary: "run the local identity provider (idp serve ...)", run };
