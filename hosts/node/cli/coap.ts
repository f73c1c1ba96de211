/**
 * `idpgate coap <get|post|put|delete> <url> [--payload TEXT | --payload-file F] [--content-format N]
 *  [--accept N] [--non] [--block-size 16..1024] [--timeout MS] [-v]`
 *
 * Prints the response code ("2.05 Content") on the first line, then the payload. Exit codes: see
 * exit-codes.ts.
 */
import { readFile } from "node:fs/promises";
import {
  CoapClient,
  DEFAULT_TRANSMISSION_PARAMS,
  maxTransmitWait,
  parseCoapUri,
  type CoapResponse,
  type CoapUri,
  type MethodName,
} from "../../../src/coap/index.js";
import { openClientLink, resolveHost } from "../client-link.js";
import type { DtlsOptions } from "../dtls/options.js";
import { intArg, scanArgs } from "./args.js";
import { DTLS_USAGE, dtlsHelp, dtlsOptions, type DtlsFlags } from "./dtls-flags.js";
import { nodePorts } from "../ports.js";
import { UsageError, exitCodeForError, exitCodeForResponse } from "./exit-codes.js";
import { formatHelp, usageFailure } from "./usage.js";
import type { Subcommand } from "./main.js";

const NAME = "idpgate coap";

const HELP = formatHelp(
  `${NAME} <get|post|put|delete> <url> [--payload TEXT | --payload-file F] [--content-format N] [--accept N] [--non] [--block-size 16..1024] [--timeout MS] [-v] ${DTLS_USAGE}`,
  [
    { flag: "--payload TEXT", what: "the request body as UTF-8 text", default: "no body" },
    { flag: "--payload-file F", what: "the request body from a file", default: "no body" },
    { flag: "--content-format N", what: "Content-Format option, 0..65535", default: "none sent" },
    { flag: "--accept N", what: "Accept option, 0..65535", default: "none sent" },
    { flag: "--non", what: "send a non-confirmable request", default: "confirmable" },
    { flag: "--block-size N", what: "preferred Block1/Block2 size, 16..1024", default: "as large as the link carries" },
    {
      flag: "--timeout MS",
      what: "give up after this long",
      default: `no deadline; a CON gives up after MAX_TRANSMIT_WAIT, ${maxTransmitWait(DEFAULT_TRANSMISSION_PARAMS)} ms`,
    },
    { flag: "-v, --verbose", what: "print the response's code, type, token and options on stderr", default: "off" },
    ...dtlsHelp("client"),
  ],
);

interface Args {
  method: MethodName;
  url: string;
  payload?: Uint8Array;
  payloadFile?: string;
  contentFormat?: number;
  accept?: number;
  confirmable: boolean;
  blockSize?: number;
  timeoutMs?: number;
  verbose: boolean;
  dtls: DtlsFlags;
}

export function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const a: Partial<Args> & { confirmable: boolean; verbose: boolean; dtls: DtlsFlags } = { confirmable: true, verbose: false, dtls: {} };
  scanArgs(argv, a.dtls, (arg, value) => {
    switch (arg) {
      case "--payload":
        a.payload = new TextEncoder().encode(value());
        break;
      case "--payload-file":
        a.payloadFile = value();
        break;
      case "--content-format":
        a.contentFormat = intArg(arg, value(), 0, 65535);
        break;
      case "--accept":
        a.accept = intArg(arg, value(), 0, 65535);
        break;
      case "--non":
        a.confirmable = false;
        break;
      case "--block-size": {
        const v = intArg(arg, value(), 0, 1024);
        if (![16, 32, 64, 128, 256, 512, 1024].includes(v)) throw new UsageError("--block-size must be a power of two in 16..1024");
        a.blockSize = v;
        break;
      }
      case "--timeout":
        a.timeoutMs = intArg(arg, value(), 0, 86_400_000);
        break;
      case "-v":
      case "--verbose":
        a.verbose = true;
        break;
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        positional.push(arg);
    }
  });
  if (positional.length !== 2) throw new UsageError("need a method and a URL");
  const method = positional[0]!.toUpperCase();
  if (method !== "GET" && method !== "POST" && method !== "PUT" && method !== "DELETE")
    throw new UsageError(`unknown method ${positional[0]!}`);
  if (a.payload !== undefined && a.payloadFile !== undefined) throw new UsageError("--payload and --payload-file exclude each other");
  return { ...a, method, url: positional[1]! };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function run(argv: readonly string[]): Promise<number> {
  let args: Args;
  let uri: CoapUri;
  let dtls: DtlsOptions | undefined;
  try {
    args = parseArgs(argv);
    uri = parseCoapUri(args.url);
    dtls = uri.secure ? dtlsOptions(args.dtls, "client") : undefined;
    if (args.payloadFile !== undefined) args.payload = new Uint8Array(await readFile(args.payloadFile));
  } catch (error) {
    return usageFailure(NAME, error);
  }
  const { link } = openClientLink(uri, dtls);
  const client = new CoapClient(link, nodePorts(), {
    resolve: resolveHost,
    ...(args.payload !== undefined && args.payload.length > 65536 ? { maxBodyBytes: args.payload.length } : {}),
  });
  let response: CoapResponse;
  try {
    response = await client.request({
      method: args.method,
      url: args.url,
      confirmable: args.confirmable,
      ...(args.payload === undefined ? {} : { payload: args.payload }),
      ...(args.contentFormat === undefined ? {} : { contentFormat: args.contentFormat }),
      ...(args.accept === undefined ? {} : { accept: args.accept }),
      ...(args.blockSize === undefined ? {} : { blockSize: args.blockSize }),
      ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      `idpgate coap: ${typeof code === "string" ? `${code}: ` : ""}${error instanceof Error ? error.message : String(error)}\n`,
    );
    return exitCodeForError(error);
  } finally {
    client.close();
  }
  if (args.verbose) {
    process.stderr.write(`code ${response.code} (${response.codeNumber}) type ${response.type} token ${hex(response.token)}\n`);
    for (const n of response.optionNumbers()) process.stderr.write(`option ${n}\n`);
    process.stderr.write(`payload ${response.payload.length} bytes\n`);
  }
  process.stdout.write(`${response.code}${response.codeName === "" ? "" : ` ${response.codeName}`}\n`);
  if (response.payload.length > 0) process.stdout.write(response.payload);
  return exitCodeForResponse(response.codeClass);
}

export const command: Subcommand = { summary: "send one CoAP request and print the answer", help: HELP, run };
