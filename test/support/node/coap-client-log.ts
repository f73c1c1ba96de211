/**
 * Runs libcoap's coap-client with `-v 7` and reads back the PDUs it logged, for tests that must see the
 * message exchange itself (block-wise transfers), not only the final answer. coap-client exits 0 even when
 * the request failed, so callers judge by the logged answers.
 *
 * A logged PDU looks like
 *   v:1 t:ACK c:2.31 i:801e {01} [ Block1:0/M/16 ]
 *   v:1 t:CON c:POST i:801f {0200} [ Uri-Path:idp, ..., Block1:1/M/16, Size1:112 ] :: 'payload'
 * Payloads are never kept (a request's payload holds a token); options are.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { requireTool } from "./libcoap.js";

export interface LoggedBlock {
  readonly num: number;
  readonly more: boolean;
  readonly size: number;
}

export interface LoggedPdu {
  /** CON, NON, ACK or RST. */
  readonly type: string;
  /** "POST", "2.31", ... */
  readonly code: string;
  readonly messageId: string;
  readonly block1: LoggedBlock | undefined;
  readonly size1: number | undefined;
}

export interface CoapClientRun {
  readonly pdus: readonly LoggedPdu[];
  /** The last answer coap-client logged (an ACK: every request here is confirmable). */
  readonly answer: LoggedPdu | undefined;
  /** The received payload (coap-client's `-w` output line, without a 4.xx/5.xx code), parsed as JSON when it is JSON. */
  readonly body: unknown;
}

const PDU = /^v:1 t:(CON|NON|ACK|RST) c:(\S+) i:([0-9a-f]+) \{[0-9a-f]*\} \[ ?(.*?) ?\](?: :: |$)/;

function block(text: string | undefined): LoggedBlock | undefined {
  const m = text === undefined ? null : /^(\d+)\/([M_])\/(\d+)$/.exec(text);
  return m === null ? undefined : { num: Number(m[1]), more: m[2] === "M", size: Number(m[3]) };
}

/** The PDUs in coap-client's `-v 7` output, in order. */
export function loggedPdus(output: string): LoggedPdu[] {
  const out: LoggedPdu[] = [];
  for (const line of output.split("\n")) {
    const m = PDU.exec(line);
    if (m === null) continue;
    const options = new Map<string, string>();
    for (const o of m[4]!.split(", ")) {
      const colon = o.indexOf(":");
      if (colon > 0) options.set(o.slice(0, colon), o.slice(colon + 1));
    }
    const size1 = options.get("Size1");
    out.push({
      type: m[1]!,
      code: m[2]!,
      messageId: m[3]!,
      block1: block(options.get("Block1")),
      size1: size1 === undefined ? undefined : Number(size1),
    });
  }
  return out;
}

/** `coap-client-openssl -v 7 -w ...args` (or another `tool`); resolves with the logged PDUs and the received body. */
export function runCoapClient(args: readonly string[], tool = "coap-client-openssl", timeoutMs = 20_000): Promise<CoapClientRun> {
  return new Promise((resolve, reject) => {
    execFile(requireTool(tool), ["-v", "7", "-w", ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error !== null && error.killed) return reject(new Error(`${tool} did not finish`));
      const lines = `${stdout}\n${stderr}`.split("\n");
      // The body is the one line that is neither a logged PDU nor a time-stamped log line.
      const text = lines.find((l) => l.trim() !== "" && !l.startsWith("v:1 ") && !/^\w{3} \d+ [\d:.]+ /.test(l) && !/^\s/.test(l));
      // coap-client prints a 4.xx/5.xx answer's payload after its code ("4.15 {...}").
      const payload = text?.replace(/^[45]\.\d\d ?/, "");
      let body: unknown = payload;
      try {
        body = payload === undefined ? undefined : JSON.parse(payload);
      } catch {
        // not JSON: kept as text
      }
      const pdus = loggedPdus(`${stdout}\n${stderr}`);
      resolve({ pdus, answer: pdus.filter((p) => p.type === "ACK").at(-1), body });
    });
  });
}

/**
 * Asserts a Block1 upload of `bodyLength` bytes in blocks of `size` as the server answered it: 2.31 echoing
 * Block1 n/M/size for every block but the last, in order from 0, then one final answer with `finalCode`
 * echoing the last block; and that coap-client really sent that many blocks.
 */
export function assertBlock1Upload(run: CoapClientRun, bodyLength: number, size: number, finalCode: string): void {
  const acks = run.pdus.filter((p) => p.type === "ACK");
  const blocks = Math.ceil(bodyLength / size);
  const expected = Array.from(
    { length: blocks },
    (_, n) => `${n < blocks - 1 ? "2.31" : finalCode} ${n}/${n < blocks - 1 ? "M" : "_"}/${size}`,
  );
  const got = acks.map(
    (a) => `${a.code} ${a.block1 === undefined ? "-" : `${a.block1.num}/${a.block1.more ? "M" : "_"}/${a.block1.size}`}`,
  );
  assert.deepEqual(got, expected, "2.31 echoing each block in order, then one final answer echoing the last");
  const sent = new Set(run.pdus.filter((p) => p.type === "CON" && p.block1 !== undefined).map((p) => p.messageId));
  assert.equal(sent.size, blocks, "coap-client sent the body in that many blocks");
}
