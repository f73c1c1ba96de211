/**
 * The whole device stack on one machine, for the demo (main.ts), the device tests and the device bench:
 * the local identity provider in-process (our Provider on our DTLS server role) with demo tokens, the gate
 * device as a child process on the XS test host (examples/gate/moddable/main.ts, unmodified, with ESP32-like
 * limits armed after start-up) or on Node (examples/gate/node/main.ts), and a command sender over CoAPS:
 * our own CoapClient on the N-API DTLS link, or libcoap's coap-client-openssl.
 *
 * Tokens and keys are never printed: `tokenTag` gives a short digest tag.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CoapClient } from "../../../src/coap/index.js";
import { DtlsLink } from "../dtls/dtls-link.js";
import { IdpServer } from "../idp/server.js";
import { Provider } from "../idp/provider.js";
import { TokenStore, tokenTag } from "../idp/token-store.js";
import { nodePorts } from "../ports.js";
import { listenDtls } from "../server-transport.js";

export { tokenTag };

/** The repository root (build/hosts/node/demo/stack.js is four levels down). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const XS_HOST = join(REPO_ROOT, "hosts/xs/out/idpgate-xs");
export const XS_LAUNCH = join(REPO_ROOT, "build/hosts/xs/js/launch.js");
export const XS_GATE_MAIN = join(REPO_ROOT, "build/examples/gate/moddable/main.js");
export const NODE_GATE_MAIN = join(REPO_ROOT, "build/examples/gate/node/main.js");

export const DEMO = {
  idpPskId: "idpgate-demo-gate",
  idpPsk: "idpgate-demo-idp-psk-0123456789",
  gatePskId: "idpgate-demo-operator",
  gatePsk: "idpgate-demo-gate-psk-9876543210",
  scope: "relay.write",
} as const;

export type GateHost = "xs" | "node";

export interface DemoTokens {
  /** Active, scope "tenant.demo relay.write". */
  readonly valid: string;
  /** Issued with a lifetime in the past: the provider answers active:false. */
  readonly expired: string;
  /** Active, scope "tenant.demo telemetry.read" only. */
  readonly wrongScope: string;
  /** Never issued. */
  readonly unknown: string;
}

export interface DemoProvider {
  readonly port: number;
  readonly url: string;
  readonly tokens: DemoTokens;
  readonly store: TokenStore;
  /** One line per request (tokens appear only as tags). */
  readonly log: string[];
  close(): Promise<void>;
}

export async function startDemoProvider(): Promise<DemoProvider> {
  const store = new TokenStore();
  const tokens: DemoTokens = {
    valid: store.issue({ sub: "demo.device.01", scope: "tenant.demo relay.write", lifetimeSeconds: 3600 }),
    expired: store.issue({ sub: "demo.device.01", scope: "tenant.demo relay.write", lifetimeSeconds: -60 }),
    wrongScope: store.issue({ sub: "demo.device.02", scope: "tenant.demo telemetry.read", lifetimeSeconds: 3600 }),
    unknown: `never-issued-${"u".repeat(87)}`,
  };
  const log: string[] = [];
  const provider = new Provider({ store, log: (line) => log.push(line) });
  const transport = await listenDtls(0, "127.0.0.1", { psk: { identity: DEMO.idpPskId, key: DEMO.idpPsk } }, (line) => log.push(line));
  const server = new IdpServer(transport, provider);
  return { port: server.port, url: `coaps://127.0.0.1:${server.port}/idp/introspect`, tokens, store, log, close: () => server.close() };
}

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  const port = await new Promise<number>((ok, fail) => {
    s.once("error", fail);
    s.bind(0, "127.0.0.1", () => ok(s.address().port));
  });
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

export interface GateOptions {
  readonly host: GateHost;
  readonly idpUrl: string;
  /** Default: a free port. */
  readonly port?: number;
  /** XS host options before the entry (e.g. ["--chunk-heap", "78848"]); default: the host's ESP32-like limits. */
  readonly xsOptions?: readonly string[];
  readonly cacheEntries?: number;
  /** Milliseconds to wait for start-up (default 15000). */
  readonly startTimeoutMs?: number;
}

export interface GateDevice {
  readonly host: GateHost;
  readonly port: number;
  readonly child: ChildProcess;
  /** stdout and stderr lines so far. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the first stdout line matching `re` (also among earlier lines). */
  waitFor(re: RegExp, timeoutMs: number): Promise<string>;
  /** Stops the process (SIGTERM, then SIGKILL) and resolves with its exit code or signal. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the process has exited by itself. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function requireFile(path: string, what: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${what}`);
}

/** Starts the gate device and resolves once it listens (and, on XS, its memory limits are armed). */
export async function startGate(o: GateOptions): Promise<GateDevice> {
  const port = o.port ?? (await freePort());
  let child: ChildProcess;
  let tmp: string | undefined;
  const config = {
    idpUrl: o.idpUrl,
    idpPskId: DEMO.idpPskId,
    idpPsk: DEMO.idpPsk,
    gatePskId: DEMO.gatePskId,
    gatePsk: DEMO.gatePsk,
    gatePort: port,
    scope: DEMO.scope,
    cacheEntries: o.cacheEntries ?? 16,
  };
  if (o.host === "xs") {
    requireFile(XS_HOST, "build the XS test host (make -C hosts/xs -j2)");
    requireFile(XS_LAUNCH, "compile (node scripts/build.mjs)");
    requireFile(XS_GATE_MAIN, "compile the Moddable glue and the gate (tsc -p tsconfig.moddable.json, part of node scripts/build.mjs)");
    tmp = mkdtempSync(join(tmpdir(), "idpgate-gate-"));
    const configPath = join(tmp, "config.json");
    writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
    child = spawn(XS_HOST, [...(o.xsOptions ?? []), "--module", `mc/config=${configPath}`, XS_LAUNCH, XS_GATE_MAIN], {
      stdio: ["ignore", "pipe", "pipe"],
    });
  } else {
    requireFile(NODE_GATE_MAIN, "compile (node scripts/build.mjs)");
    child = spawn(
      process.execPath,
      [
        NODE_GATE_MAIN,
        "--idp",
        o.idpUrl,
        "--idp-psk-id",
        config.idpPskId,
        "--idp-psk",
        config.idpPsk,
        "--psk-id",
        config.gatePskId,
        "--psk",
        config.gatePsk,
        "--port",
        String(port),
        "--scope",
        config.scope,
        "--cache",
        String(config.cacheEntries),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
  }
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { re: RegExp; ok: (line: string) => void }[] = [];
  const feed = (into: string[], isOut: boolean) => {
    let rest = "";
    return (chunk: Buffer): void => {
      rest += chunk.toString("utf8");
      const lines = rest.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        into.push(line);
        if (!isOut) continue;
        for (let i = waiters.length - 1; i >= 0; i--) {
          const w = waiters[i]!;
          if (w.re.test(line)) {
            waiters.splice(i, 1);
            w.ok(line);
          }
        }
      }
    };
  };
  child.stdout!.on("data", feed(stdout, true));
  child.stderr!.on("data", feed(stderr, false));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once("exit", (code, signal) => {
      if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
      ok({ code, signal });
    }),
  );
  const waitFor = (re: RegExp, timeoutMs: number): Promise<string> => {
    const seen = stdout.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((ok, fail) => {
      const timer = setTimeout(
        () =>
          fail(
            new Error(`gate (${o.host}) printed no line matching ${re} within ${timeoutMs} ms; stderr: ${stderr.slice(-5).join(" | ")}`),
          ),
        timeoutMs,
      );
      const w = {
        re,
        ok: (line: string) => {
          clearTimeout(timer);
          ok(line);
        },
      };
      waiters.push(w);
      void exited.then((r) => {
        clearTimeout(timer);
        const i = waiters.indexOf(w);
        if (i >= 0) {
          waiters.splice(i, 1);
          fail(new Error(`gate (${o.host}) exited (${r.code ?? r.signal}) before printing ${re}; stderr: ${stderr.slice(-5).join(" | ")}`));
        }
      });
    });
  };
  const stop = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      const r = await exited;
      clearTimeout(t);
      return r;
    }
    return exited;
  };
  const device: GateDevice = { host: o.host, port, child, stdout, stderr, waitFor, stop, exited };
  try {
    await waitFor(o.host === "xs" ? /^xs-launch: / : /^gate: listening/, o.startTimeoutMs ?? 15_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return device;
}

export interface Decision {
  readonly allowed: boolean;
  readonly reason: string;
  readonly fromCache: boolean;
  readonly state?: string;
}

export interface CommandResult {
  /** "2.04", "4.01", ... */
  readonly code: string;
  readonly decision: Decision | undefined;
  readonly text: string;
}

function parseDecision(text: string): Decision | undefined {
  try {
    const v = JSON.parse(text) as Partial<Decision>;
    if (typeof v.allowed !== "boolean" || typeof v.reason !== "string" || typeof v.fromCache !== "boolean") return undefined;
    return v as Decision;
  } catch {
    return undefined;
  }
}

/** A command client over CoAPS with our own stack (CoapClient on the N-API DTLS link). */
export class GateClient {
  readonly #client: CoapClient;
  readonly #port: number;

  private constructor(client: CoapClient, port: number) {
    this.#client = client;
    this.#port = port;
  }

  static async connect(port: number): Promise<GateClient> {
    const link = await DtlsLink.connect({
      host: "127.0.0.1",
      port,
      psk: { identity: DEMO.gatePskId, key: DEMO.gatePsk },
      handshakeDeadlineMs: 10_000,
    });
    return new GateClient(new CoapClient(link, nodePorts()), port);
  }

  async command(token: string, state: "on" | "off"): Promise<CommandResult> {
    const r = await this.#client.request({
      method: "POST",
      url: `coaps://127.0.0.1:${this.#port}/relay`,
      contentFormat: 50,
      payload: JSON.stringify({ token, state }),
      timeoutMs: 20_000,
    });
    const text = new TextDecoder().decode(r.payload);
    return { code: r.code, decision: parseDecision(text), text };
  }

  async get(path: string): Promise<CommandResult> {
    const r = await this.#client.request({ method: "GET", url: `coaps://127.0.0.1:${this.#port}/${path}`, timeoutMs: 20_000 });
    const text = new TextDecoder().decode(r.payload);
    return { code: r.code, decision: parseDecision(text), text };
  }

  close(): void {
    this.#client.close();
  }
}

/**
 * One command with libcoap's coap-client-openssl over DTLS PSK (a new process, a new DTLS session).
 * coap-client prints the payload on stdout, and for a 4.xx/5.xx answer also "x.yy Reason" on stderr.
 */
export function coapClientCommand(
  port: number,
  body: string | undefined,
  options: { readonly method?: "get" | "post"; readonly path?: string; readonly timeoutMs?: number } = {},
): Promise<CommandResult> {
  const args = ["-m", options.method ?? "post", "-u", DEMO.gatePskId, "-k", DEMO.gatePsk, "-B", "20"];
  if (body !== undefined) args.push("-t", "50", "-e", body);
  args.push(`coaps://127.0.0.1:${port}/${options.path ?? "relay"}`);
  return new Promise<CommandResult>((ok, fail) => {
    execFile("coap-client-openssl", args, { timeout: options.timeoutMs ?? 30_000 }, (error, stdout, stderr) => {
      if (error !== null && (error as { code?: unknown }).code === "ENOENT") {
        fail(new Error("coap-client-openssl not found on PATH: install Debian's libcoap3-bin (apt-get install libcoap3-bin)"));
        return;
      }
      // 2.xx: the payload on stdout; 4.xx/5.xx: "c.dd <payload>" on stderr.
      const m = /^([245]\.\d\d) ?(.*)$/m.exec(stderr);
      const text = stdout.trim().length > 0 ? stdout.trim() : m !== null ? m[2]!.trim() : "";
      const decision = parseDecision(text);
      const code = m !== null ? m[1]! : decision !== undefined || text.length > 0 ? "2.xx" : "?";
      if (error !== null && decision === undefined) {
        fail(new Error(`coap-client-openssl failed (${error.message.split("\n")[0]}); stderr: ${stderr.trim().slice(0, 300)}`));
        return;
      }
      ok({ code, decision, text });
    });
  });
}
