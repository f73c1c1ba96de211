/**
 * Helpers for the DTLS interop tests (test/dtls/*.node.test.ts): bounded child processes (openssl, libcoap),
 * free UDP ports, a throw-away EC P-256 PKI made with openssl, and a hand-encoded CoAP GET.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { ADDON_PATH, DtlsError } from "../../../hosts/node/dtls/index.js";
import { requireTool } from "./libcoap.js";

export { requireTool };

/** Awaits p, which must fail with a DtlsError of this code within withinMs; returns that error. */
export async function expectDtlsFailure(p: Promise<unknown>, code: string, withinMs: number): Promise<DtlsError> {
  const t0 = performance.now();
  const e = await p.then(
    () => assert.fail(`expected ${code}`),
    (err: unknown) => err,
  );
  assert.ok(e instanceof DtlsError, `a DtlsError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  assert.ok(performance.now() - t0 < withinMs, `within ${withinMs} ms`);
  return e;
}

export function requireAddon(): void {
  if (!existsSync(ADDON_PATH))
    throw new Error(`DTLS addon not built: run \`npx node-gyp rebuild --directory hosts/node/native\` (${ADDON_PATH})`);
}

export interface Peer {
  readonly proc: ChildProcess;
  output(): string;
  /** Resolves when the output matches, rejects after ms. */
  waitFor(re: RegExp, ms: number): Promise<void>;
  write(text: string): void;
  /** Kills this process (by its own pid) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Spawns a peer that is killed after lifetimeMs whatever happens. */
export function spawnPeer(cmd: string, args: readonly string[], lifetimeMs = 20_000): Peer {
  const proc = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const killer = setTimeout(() => proc.kill("SIGKILL"), lifetimeMs);
  killer.unref();
  return {
    proc,
    output: () => out,
    waitFor(re: RegExp, ms: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} from ${cmd}; output:\n${out}`)), ms);
        const check = (): void => {
          if (re.test(out)) {
            clearTimeout(t);
            resolve();
          } else waiters.push(check);
        };
        check();
      });
    },
    write(text: string): void {
      proc.stdin?.write(text);
    },
    async stop(): Promise<void> {
      clearTimeout(killer);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A UDP port p on 127.0.0.1 such that p .. p+span-1 are free now. */
export interface Pki {
  readonly dir: string;
  readonly caPem: string;
  readonly otherCaPem: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA-signed "localhost" certificate valid only on 2020-01-01, and its key. */
  readonly expiredCert: string;
  readonly expiredKey: string;
  /** file paths of the same */
  readonly files: { ca: string; otherCa: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
  cleanup(): void;
}

/** A CA, a server certificate for "localhost" / 127.0.0.1, a client certificate, and an unrelated CA. EC P-256. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "idpgate-dtls-pki-"));
  const ossl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  };
  const key = (name: string): void => ossl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`);
  const ca = (name: string, cn: string): void => {
    key(name);
    ossl(
      "req",
      "-x509",
      "-new",
      "-key",
      `${name}.key`,
      "-subj",
      `/CN=${cn}`,
      "-days",
      "2",
      "-sha256",
      "-out",
      `${name}.pem`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
  };
  const leaf = (name: string, cn: string, san: string): void => {
    key(name);
    ossl("req", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-out", `${name}.csr`);
    execFileSync("sh", ["-c", `printf 'subjectAltName=${san}\\nbasicConstraints=CA:FALSE\\n' > ${name}.ext`], { cwd: dir });
    ossl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-sha256",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.pem`,
    );
  };
  /** A leaf for "localhost" that expired in 2020 (`openssl ca` is the 3.0 tool that takes explicit dates). */
  const expired = (name: string): void => {
    key(name);
    ossl("req", "-new", "-key", `${name}.key`, "-subj", "/CN=localhost", "-out", `${name}.csr`);
    execFileSync(
      "sh",
      [
        "-c",
        "touch index.txt && echo 1000 > serial.txt && printf '[ca]\\ndefault_ca=d\\n[d]\\ndatabase=index.txt\\nnew_certs_dir=.\\nserial=serial.txt\\n" +
          "default_md=sha256\\npolicy=p\\n[p]\\ncommonName=supplied\\n[x]\\nsubjectAltName=DNS:localhost\\n' > ca.cnf",
      ],
      { cwd: dir },
    );
    ossl(
      "ca",
      "-batch",
      "-config",
      "ca.cnf",
      "-cert",
      "ca.pem",
      "-keyfile",
      "ca.key",
      "-in",
      `${name}.csr`,
      "-out",
      `${name}.pem`,
      "-startdate",
      "20200101000000Z",
      "-enddate",
      "20200102000000Z",
      "-extensions",
      "x",
      "-notext",
    );
  };
  ca("ca", "idpgate test CA");
  ca("other-ca", "someone else");
  leaf("server", "localhost", "DNS:localhost,IP:127.0.0.1");
  leaf("client", "device-1", "DNS:device-1");
  expired("expired");
  const read = (f: string): string => execFileSync("cat", [join(dir, f)]).toString();
  const files = {
    ca: join(dir, "ca.pem"),
    otherCa: join(dir, "other-ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
  };
  return {
    dir,
    caPem: read("ca.pem"),
    otherCaPem: read("other-ca.pem"),
    serverCert: read("server.pem"),
    serverKey: read("server.key"),
    clientCert: read("client.pem"),
    clientKey: read("client.key"),
    expiredCert: read("expired.pem"),
    expiredKey: read("expired.key"),
    files,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A confirmable CoAP GET (RFC 7252 3): ver 1, CON, token length 1, code 0.01, message ID, token, then one
 * Uri-Path option (11) per segment.
 */
export function coapGet(path: string, mid = 0x1234, token = 0x5a): Uint8Array {
  const out: number[] = [0x41, 0x01, (mid >> 8) & 0xff, mid & 0xff, token];
  let last = 0;
  for (const seg of path.split("/").filter((s) => s.length > 0)) {
    const bytes = new TextEncoder().encode(seg);
    if (bytes.length > 12) throw new Error("coapGet: segments up to 12 bytes");
    out.push(((11 - last) << 4) | bytes.length, ...bytes);
    last = 11;
  }
  return new Uint8Array(out);
}

/** "2.05"-style code of a CoAP message, and its payload (after 0xFF). */
export function coapParse(msg: Uint8Array): { code: string; type: number; mid: number; payload: Uint8Array } {
  if (msg.length < 4) throw new Error("short CoAP message");
  const b0 = msg[0] ?? 0;
  const code = msg[1] ?? 0;
  const tkl = b0 & 0x0f;
  let i = 4 + tkl;
  while (i < msg.length && msg[i] !== 0xff) {
    const d = (msg[i] ?? 0) >> 4;
    let l = (msg[i] ?? 0) & 0x0f;
    i++;
    if (d === 13) i += 1;
    else if (d === 14) i += 2;
    if (l === 13) l = (msg[i++] ?? 0) + 13;
    else if (l === 14) {
      l = (((msg[i] ?? 0) << 8) | (msg[i + 1] ?? 0)) + 269;
      i += 2;
    }
    i += l;
  }
  return {
    code: `${code >> 5}.${String(code & 0x1f).padStart(2, "0")}`,
    type: (b0 >> 4) & 3,
    mid: ((msg[2] ?? 0) << 8) | (msg[3] ?? 0),
    payload: msg.slice(i + 1),
  };
}

/** A piggybacked 2.05 answer to a CON request (ACK, same MID and token) carrying text. */
export function coapAnswer(req: Uint8Array, text: string): Uint8Array {
  const tkl = (req[0] ?? 0) & 0x0f;
  const head = [0x60 | tkl, 0x45, req[2] ?? 0, req[3] ?? 0, ...req.slice(4, 4 + tkl)];
  return new Uint8Array([...head, 0xff, ...new TextEncoder().encode(text)]);
}
