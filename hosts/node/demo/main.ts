/**
 * The demo behind `npm start`: `node build/hosts/node/demo/main.js [--host xs|node] [--via ours|libcoap]`.
 *
 * Starts the local identity provider with demo tokens (valid with the right scope, expired, wrong scope,
 * unknown), starts the gate device (examples/gate) on the chosen host (default: the XS test host with
 * ESP32-like memory limits), sends the commands valid, expired, wrong scope, unknown, valid again over CoAPS
 * (our CoapClient over DTLS, or libcoap's coap-client-openssl), prints each decision in a table, shuts
 * everything down, and exits 0 only when every decision was the expected one. Tokens appear only as short
 * digest tags.
 */
import {
  coapClientCommand,
  GateClient,
  startDemoProvider,
  startGate,
  tokenTag,
  type CommandResult,
  type DemoProvider,
  type GateDevice,
  type GateHost,
} from "./stack.js";

interface Step {
  readonly name: string;
  readonly token: (t: DemoProvider["tokens"]) => string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly fromCache: boolean;
}

const STEPS: readonly Step[] = [
  { name: "valid", token: (t) => t.valid, allowed: true, reason: "ok", fromCache: false },
  { name: "expired", token: (t) => t.expired, allowed: false, reason: "inactive", fromCache: false },
  { name: "wrong scope", token: (t) => t.wrongScope, allowed: false, reason: "scope", fromCache: false },
  { name: "unknown", token: (t) => t.unknown, allowed: false, reason: "inactive", fromCache: false },
  { name: "valid again", token: (t) => t.valid, allowed: true, reason: "ok", fromCache: true },
];

const USAGE = "usage: node build/hosts/node/demo/main.js [--host xs|node] [--via ours|libcoap]";

function parse(argv: readonly string[]): { host: GateHost; via: "ours" | "libcoap" } {
  let host: GateHost = "xs";
  let via: "ours" | "libcoap" = "ours";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === "--host" && (v === "xs" || v === "node")) host = v;
    else if (a === "--via" && (v === "ours" || v === "libcoap")) via = v;
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(USAGE);
      process.exit(2);
    }
    i++;
  }
  return { host, via };
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));

async function main(): Promise<number> {
  const { host, via } = parse(process.argv.slice(2));
  const provider = await startDemoProvider();
  let gate: GateDevice | undefined;
  let client: GateClient | undefined;
  let failures = 0;
  try {
    console.log(`identity provider: ${provider.url} (DTLS PSK)`);
    gate = await startGate({ host, idpUrl: provider.url });
    const where =
      host === "xs" ? "the XS test host (real XS engine, ESP32-like limits: 77 KB chunks, 4,900 slots, 512 stack)" : "the Node host";
    console.log(`gate device: coaps://127.0.0.1:${gate.port}/relay on ${where}`);
    console.log(
      `commands: POST /relay {"token":...,"state":"on"} over CoAPS via ${via === "ours" ? "our CoapClient + DTLS" : "coap-client-openssl"}\n`,
    );
    if (via === "ours") client = await GateClient.connect(gate.port);
    const header = `${pad("command", 13)}${pad("token", 14)}${pad("answer", 8)}${pad("allowed", 9)}${pad("reason", 10)}${pad("from cache", 12)}check`;
    console.log(header);
    console.log("-".repeat(header.length + 4));
    for (const step of STEPS) {
      const token = step.token(provider.tokens);
      let r: CommandResult;
      try {
        r =
          client !== undefined
            ? await client.command(token, "on")
            : await coapClientCommand(gate.port, JSON.stringify({ token, state: "on" }));
      } catch (e) {
        r = { code: "error", decision: undefined, text: (e as Error).message };
      }
      const d = r.decision;
      const good = d !== undefined && d.allowed === step.allowed && d.reason === step.reason && d.fromCache === step.fromCache;
      if (!good) failures++;
      console.log(
        `${pad(step.name, 13)}${pad(tokenTag(token), 14)}${pad(r.code, 8)}${pad(d === undefined ? "?" : d.allowed ? "yes" : "no", 9)}${pad(d?.reason ?? "?", 10)}${pad(d === undefined ? "?" : d.fromCache ? "yes" : "no", 12)}${good ? "as expected" : `UNEXPECTED (wanted ${step.allowed ? "allowed" : "denied"} ${step.reason}${step.fromCache ? " from cache" : ""})`}`,
      );
    }
    const state = client !== undefined ? await client.get("relay") : await coapClientCommand(gate.port, undefined, { method: "get" });
    console.log(`\nGET /relay -> ${state.code} ${state.text}`);
    const introspections = provider.log.filter((l) => l.includes("POST /idp/introspect")).length;
    console.log(`introspections at the provider: ${introspections} (the repeated valid token was answered from the device's cache)`);
    if (gate.stderr.some((l) => /memory full|stack overflow/.test(l))) {
      failures++;
      console.log(`the device aborted: ${gate.stderr.join(" | ")}`);
    }
  } finally {
    client?.close();
    await gate?.stop();
    await provider.close();
  }
  console.log(failures === 0 ? "\nall decisions as expected" : `\n${failures} decision(s) not as expected`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`demo failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
