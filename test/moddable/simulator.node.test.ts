/**
 * idpgate on the real Moddable SDK (Node only; skipped when MODDABLE is not set, see docs/MODDABLE.md).
 *
 * Builds test/moddable/app (main.ts + a manifest that includes the root manifest.json) with
 * `mcconfig -m -p lin`, so TypeScript goes through the SDK's own tsc step and our modules through
 * its module mapping and the XS linker's preload; then runs the app in the simulator (`mcsim` under
 * `xvfb-run -a`) and checks the `IDPGATE-SIM <name> <json>` lines it prints. mcsim never exits by
 * itself: the app prints `IDPGATE-SIM done` and this suite stops it. If examples/gate exists, it must
 * build too.
 *
 * Needs: MODDABLE pointing at a built SDK (build/bin/lin/release/mcconfig, mcsim), xvfb-run (Debian's
 * xvfb), stdbuf (coreutils) and the repo's TypeScript (node_modules/.bin/tsc, put first on PATH).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const MODDABLE = process.env["MODDABLE"] ?? "";
const SKIP = MODDABLE === "" ? "MODDABLE is not set: Moddable SDK tests skipped" : false;
const OPTIONS = { skip: SKIP, timeout: 900_000 };
const APP_DIR = join(ROOT, "test", "moddable", "app");
const GATE_DIR = join(ROOT, "examples", "gate");
const USER_APP_DIR = join(ROOT, "test", "moddable", "user-app");
const CLI = join(ROOT, "build", "hosts", "node", "cli", "main.js");
const RUN_TIMEOUT_MS = 90_000;

let outRoot: string | undefined;
after(() => {
  if (outRoot !== undefined) rmSync(outRoot, { recursive: true, force: true });
});

function toolEnv(): NodeJS.ProcessEnv {
  const bin = join(MODDABLE, "build", "bin", "lin", "release");
  if (!existsSync(join(bin, "mcconfig")) || !existsSync(join(bin, "mcsim")))
    throw new Error(`MODDABLE=${MODDABLE} has no build/bin/lin/release/mcconfig and mcsim: build the SDK first (docs/MODDABLE.md)`);
  const tsc = join(ROOT, "node_modules", ".bin");
  if (!existsSync(join(tsc, "tsc")))
    throw new Error(`${tsc}/tsc is missing: run npm install (mcconfig compiles TypeScript with tsc from PATH)`);
  const path = [bin, tsc, process.env["PATH"] ?? ""].join(delimiter);
  for (const tool of ["xvfb-run", "stdbuf", "make", "cc"]) {
    if (!path.split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, tool))))
      throw new Error(`${tool} not found on PATH: apt-get install xvfb coreutils build-essential (Moddable simulator tests need it)`);
  }
  // IDPGATE: where a user's app finds idpgate ("$(IDPGATE)/manifest.json", README "Use").
  return { ...process.env, MODDABLE, IDPGATE: ROOT.replace(/\/$/, ""), PATH: path, MAKEFLAGS: process.env["MAKEFLAGS"] ?? "-j2" };
}

interface Output {
  readonly code: number | null;
  readonly text: string;
}

function tail(text: string, lines = 60): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** Runs a command to completion, output interleaved. */
function runToEnd(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr.on("data", (d: Buffer) => (text += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, text }));
  });
}

interface Build {
  readonly out: string;
  readonly log: string;
  readonly so: string;
}

/**
 * `mcconfig -m -p lin -o <tmp> [name=value ...]` in `dir` (the pairs override the manifest's `config`);
 * the app is `<out>/bin/lin/mc/release/<dir name>/mc.so`. mcsim loads it with dlopen and says nothing
 * when that fails, so unresolved symbols (a C library missing from the manifest) fail here.
 */
async function mcconfig(dir: string, config: readonly string[] = []): Promise<Build> {
  const env = toolEnv();
  outRoot ??= mkdtempSync(join(tmpdir(), "idpgate-moddable-"));
  const name = basename(dir);
  const out = mkdtempSync(join(outRoot, `${name}-`));
  const result = await runToEnd(
    join(MODDABLE, "build", "bin", "lin", "release", "mcconfig"),
    ["-m", "-p", "lin", "-o", out, ...config],
    dir,
    env,
  );
  assert.equal(result.code, 0, `mcconfig -m -p lin failed in ${dir}:\n${tail(result.text)}`);
  const so = join(out, "bin", "lin", "mc", "release", name, "mc.so");
  assert.ok(existsSync(so), `mcconfig succeeded but ${so} is missing:\n${tail(result.text)}`);
  const ldd = await runToEnd("ldd", ["-r", so], dir, env);
  const undefinedSymbols = ldd.text.split("\n").filter((l) => l.includes("undefined symbol"));
  assert.deepEqual(
    undefinedSymbols.slice(0, 5),
    [],
    `${so} has ${undefinedSymbols.length} undefined symbols: mcsim cannot load it (on lin, list the C libraries in the manifest, e.g. "platforms": {"lin": {"build": {"LIBRARIES": "-Wl,-lmbedtls,-lmbedx509,-lmbedcrypto"}}})`,
  );
  return { out, log: result.text, so };
}

/**
 * `mc.so` running in mcsim on a virtual X server (`xvfb-run -a`), output collected. The shell prints
 * mcsim's pid first, so that stop() ends mcsim alone and xvfb-run then stops Xvfb and cleans up.
 */
class Simulator {
  text = "";
  readonly #child: ChildProcess;
  readonly #closed: Promise<void>;
  #pid: number | undefined;
  #stopping = false;

  constructor(so: string) {
    const script = 'echo "IDPGATE-PID $$" >&2; exec stdbuf -oL -eL mcsim "$0"';
    this.#child = spawn("xvfb-run", ["-a", "sh", "-c", script, so], { env: toolEnv(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const onData = (d: Buffer): void => {
      this.text += d.toString();
      const pid = /^IDPGATE-PID (\d+)$/m.exec(this.text);
      if (pid !== null) this.#pid = Number(pid[1]);
    };
    this.#child.stdout!.on("data", onData);
    this.#child.stderr!.on("data", onData);
    this.#closed = new Promise((resolve) => {
      this.#child.on("error", (error) => {
        this.text += `\nspawn xvfb-run: ${error.message}\n`;
        resolve();
      });
      this.#child.on("close", () => resolve());
    });
  }

  /** Resolves when a line starts with one of `markers` (after a moment for what follows, e.g. a stack). */
  async waitFor(markers: readonly string[], timeoutMs = RUN_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.#closed.then(() => (exited = true));
    while (!this.text.split("\n").some((l) => markers.some((m) => l.startsWith(m)))) {
      if (exited) throw new Error(`mcsim exited before printing ${markers.join(" or ")}:\n${tail(this.text)}`);
      if (Date.now() > deadline)
        throw new Error(
          `mcsim printed no ${markers.join(" or ")} line within ${timeoutMs} ms (no output at all: mc.so may not load):\n${tail(this.text)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
  }

  /** Stops mcsim (the whole process group this suite started, if it will not go) and returns the output. */
  async stop(): Promise<string> {
    if (!this.#stopping) {
      this.#stopping = true;
      const group = -this.#child.pid!;
      try {
        process.kill(this.#pid ?? group, "SIGTERM");
      } catch {
        // already gone
      }
      const last = setTimeout(() => {
        try {
          process.kill(group, "SIGKILL");
        } catch {
          // already gone
        }
      }, 10_000);
      await this.#closed;
      clearTimeout(last);
    }
    await this.#closed;
    return this.text;
  }
}

let appBuild: Promise<Build> | undefined;
let appRun: Promise<Map<string, unknown>> | undefined;

function builtApp(): Promise<Build> {
  return (appBuild ??= mcconfig(APP_DIR));
}

/** The app's `IDPGATE-SIM <name> <json>` lines by name; an `IDPGATE-SIM error ...` line fails every check. */
function appLines(): Promise<Map<string, unknown>> {
  return (appRun ??= (async () => {
    const { so } = await builtApp();
    const sim = new Simulator(so);
    try {
      await sim.waitFor(["IDPGATE-SIM done", "IDPGATE-SIM error "]);
    } finally {
      await sim.stop();
    }
    const text = sim.text;
    const error = text.split("\n").findIndex((line) => line.startsWith("IDPGATE-SIM error "));
    assert.equal(error, -1, `the app failed in the simulator:\n${tail(text)}`);
    const lines = new Map<string, unknown>();
    for (const line of text.split("\n")) {
      const m = /^IDPGATE-SIM (\S+) (.*)$/.exec(line);
      if (m !== null) lines.set(m[1]!, JSON.parse(m[2]!));
    }
    return lines;
  })());
}

async function line(name: string): Promise<unknown> {
  const lines = await appLines();
  assert.ok(lines.has(name), `the app printed no IDPGATE-SIM ${name} line (got ${[...lines.keys()].join(", ")})`);
  return lines.get(name);
}

function sourceModules(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...sourceModules(path));
    else if (entry.endsWith(".ts") && !entry.endsWith(".d.ts")) found.push(path);
  }
  return found;
}

test("mcconfig -m -p lin builds the app: TypeScript through manifest.json, every src/ module preloaded", OPTIONS, async (t) => {
  const { out, log } = await builtApp();
  // "not frozen" / "no const": preloaded objects and closures that stay mutable (aliased in RAM on a device).
  const warnings = new Map<string, number>();
  for (const m of log.matchAll(/^### warning: ([^:]+): .*$/gm)) warnings.set(m[1]!, (warnings.get(m[1]!) ?? 0) + 1);
  if (warnings.size > 0) t.diagnostic(`XS linker warnings by module: ${[...warnings].map(([name, n]) => `${name} ${n}`).join(", ")}`);
  const makefile = readFileSync(join(out, "tmp", "lin", "mc", "release", "app", "makefile"), "utf8");
  const preloads = new Set([...makefile.matchAll(/-p (\S+)\.xsb/g)].map((m) => m[1]!));
  const missing = sourceModules(join(ROOT, "src"))
    .map((p) => "idpgate/" + relative(ROOT, p).replace(/\.ts$/, ""))
    .filter((name) => !preloads.has(name));
  // Moddable 8.2 matches "preload" wildcards against JavaScript modules only: TypeScript modules must be named one by one.
  assert.deepEqual(missing, [], `manifest.json must map and preload every src/ module; not preloaded: ${missing.join(", ")}`);
});

test("simulator: CoAP encode/decode round trip", OPTIONS, async () => {
  assert.deepEqual(await line("coap"), {
    length: 35,
    head: "42021234cafe",
    type: 0,
    code: "0.02",
    messageId: 0x1234,
    token: [0xca, 0xfe],
    options: 2,
    payload: 13,
  });
});

test("simulator: JSON tokenizer on the IDP-API example answer", OPTIONS, async () => {
  assert.deepEqual(await line("json"), {
    tokens: 11,
    active: true,
    sub: "test.device.01",
    scopeHasTemp: true,
    exp: 1658179642,
    missing: -1,
  });
});

test("simulator: typed errors can be constructed (built-ins are frozen after preload: no `this.name =` on an Error)", OPTIONS, async () => {
  assert.deepEqual(await line("typed-errors"), {
    coap: { name: "CoapFormatError", code: "coap.truncated_header" },
    json: { name: "JsonError", code: "json.truncated" },
    messages: [],
  });
});

test("simulator: our modules really are preloaded (JSON.stringify of a preloaded object throws)", OPTIONS, async () => {
  const preload = (await line("preload")) as { stringifyThrows: boolean };
  assert.equal(preload.stringifyThrows, true, "DEFAULT_TRANSMISSION_PARAMS is not in flash: idpgate/src/coap/params was not preloaded");
});

test("simulator: verifier decisions through IntrospectionClient, CoapClient (Block2) and a CoAP server engine", OPTIONS, async () => {
  const ok = { allowed: true, reason: "ok", sub: "test.device.01" };
  assert.deepEqual(await line("verifier"), {
    first: { ...ok, fromCache: false },
    again: { ...ok, fromCache: true },
    wrongScope: { allowed: false, reason: "scope", sub: "test.device.01", fromCache: true },
    unknown: { allowed: false, reason: "inactive", sub: null, fromCache: false },
    datagrams: true,
  });
});

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

interface LocalIdp {
  stop(): void;
}

/** The local identity provider (the CLI's `idp serve`, DTLS PSK) on 127.0.0.1:`port`, once it listens. */
async function startLocalIdp(port: number, pskId: string, psk: string, tokens: readonly object[]): Promise<LocalIdp> {
  assert.ok(existsSync(CLI), `${CLI} is missing: compile first (npm run build)`);
  outRoot ??= mkdtempSync(join(tmpdir(), "idpgate-moddable-"));
  const file = join(mkdtempSync(join(outRoot, "tokens-")), "tokens.json");
  writeFileSync(file, JSON.stringify(tokens), { mode: 0o600 });
  const args = ["idp", "serve", "--port", String(port), "--bind", "127.0.0.1", "--psk-id", pskId, "--psk", psk, "--tokens", file];
  const idp = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  idp.stdout.on("data", (d: Buffer) => (log += d.toString()));
  idp.stderr.on("data", (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 100 && !log.includes("listening"); i++) await new Promise((r) => setTimeout(r, 100));
  if (!log.includes("listening")) idp.kill("SIGTERM");
  assert.match(log, /listening/, `the local identity provider did not start:\n${log}`);
  return { stop: () => idp.kill("SIGTERM") };
}

/**
 * The gate example end to end on the simulator: the local identity provider (Node, DTLS PSK) on one
 * port, the gate (mcsim) on another, and commands from the CLI over CoAPS. Needs build/ (the CLI and the
 * N-API DTLS addon), as `npm test` makes them.
 */
test(
  "examples/gate: builds for the simulator and switches only for a token the local identity provider vouches for",
  {
    ...OPTIONS,
    skip: SKIP !== false ? SKIP : existsSync(join(GATE_DIR, "manifest.json")) ? false : "examples/gate/manifest.json does not exist yet",
  },
  async (t) => {
    const [gatePort, idpPort] = [await freeUdpPort(), await freeUdpPort()];
    const { so } = await mcconfig(GATE_DIR, [
      `idpUrl=coaps://127.0.0.1:${idpPort}/idp/introspect`,
      "idpPskId=gate-sim",
      "idpPsk=simulator-idp-psk",
      "gatePskId=operator-sim",
      "gatePsk=simulator-gate-psk",
      `gatePort=${gatePort}`,
    ]);
    const good = "G".repeat(100);
    const narrow = "N".repeat(100);
    const idp = await startLocalIdp(idpPort, "gate-sim", "simulator-idp-psk", [
      { token: good, sub: "relay.device.01", scope: "relay.write temp" },
      { token: narrow, sub: "relay.device.01", scope: "temp" },
    ]);
    const sim = new Simulator(so);
    try {
      await sim.waitFor(["gate: listening", "XS abort"]);
      assert.match(sim.text, /gate: listening/, `the gate did not start in the simulator:\n${tail(sim.text)}`);
      const command = async (token: string, state: string): Promise<string> => {
        const args = [
          "coap",
          "post",
          `coaps://127.0.0.1:${gatePort}/relay`,
          "--payload",
          JSON.stringify({ token, state }),
          "--content-format",
          "50",
        ];
        const r = await runToEnd(
          process.execPath,
          [CLI, ...args, "--psk-id", "operator-sim", "--psk", "simulator-gate-psk", "--timeout", "20000"],
          ROOT,
          process.env,
        );
        t.diagnostic(`command ${state}: ${r.text.trim().replace(/\s+/g, " ")}`);
        return r.text;
      };
      const on = await command(good, "on");
      assert.match(on, /2\.04/, `a valid token with scope relay.write must switch:\n${on}\n${tail(sim.text)}`);
      assert.match(on, /"allowed":true,"reason":"ok","fromCache":false,"state":"on"/);
      const denied = await command(narrow, "off");
      assert.match(denied, /4\.03/, `a token without relay.write must be refused (4.03):\n${denied}\n${tail(sim.text)}`);
      assert.match(denied, /"allowed":false,"reason":"scope"/);
      const again = await command(good, "off");
      assert.match(again, /2\.04/, `the valid token again:\n${again}\n${tail(sim.text)}`);
      assert.match(again, /"fromCache":true/);
      assert.doesNotMatch(sim.text, /XS abort/, tail(sim.text));
    } finally {
      const text = await sim.stop();
      idp.stop();
      t.diagnostic(`gate output:\n${text.trim()}`);
    }
  },
);

/** README "Use": its manifest lines (a JSON fragment) and its device block (the one importing mc/config). */
function readmeUse(): { manifest: { include: unknown; config: unknown }; device: string } {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n## Use\n");
  assert.ok(start >= 0, 'README.md has a "## Use" section');
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const json = /```json\n([\s\S]*?)```/.exec(section);
  assert.ok(json !== null, 'README "Use" shows the manifest lines in a json block');
  const device = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes('from "mc/config"'));
  assert.equal(device.length, 1, 'README "Use" has one device block');
  return { manifest: JSON.parse(`{${json[1]!}}`) as { include: unknown; config: unknown }, device: device[0]! };
}

test(
  "README Use in a user's app: README's manifest lines and device block build with mcconfig and decide valid / unknown / wrong scope in mcsim",
  OPTIONS,
  async (t) => {
    const use = readmeUse();
    const manifest = JSON.parse(readFileSync(join(USER_APP_DIR, "manifest.json"), "utf8")) as { include: unknown; config: unknown };
    assert.deepEqual(manifest.include, use.manifest.include, "test/moddable/user-app includes what README names, in README's words");
    assert.deepEqual(manifest.config, use.manifest.config, "test/moddable/user-app's config is README's");
    // Outside the repo, as a user's app is: idpgate comes in through $(IDPGATE) only.
    outRoot ??= mkdtempSync(join(tmpdir(), "idpgate-moddable-"));
    const dir = join(mkdtempSync(join(outRoot, "user-")), "user-app");
    mkdirSync(dir);
    for (const f of ["manifest.json", "main.ts"]) copyFileSync(join(USER_APP_DIR, f), join(dir, f));
    writeFileSync(join(dir, "use.ts"), use.device);
    const idpPort = await freeUdpPort();
    const tokens = { valid: "V".repeat(96), unknown: "U".repeat(96), wrongScope: "W".repeat(96) };
    const idp = await startLocalIdp(idpPort, "dev", "hex:00112233", [
      { token: tokens.valid, sub: "user.app", scope: "relay.write" },
      { token: tokens.wrongScope, sub: "user.app", scope: "telemetry.read" },
    ]);
    try {
      const { so } = await mcconfig(dir, [
        `idpUrl=coaps://127.0.0.1:${idpPort}/idp/introspect`,
        `token_valid=${tokens.valid}`,
        `token_unknown=${tokens.unknown}`,
        `token_wrongScope=${tokens.wrongScope}`,
      ]);
      const sim = new Simulator(so);
      let text = "";
      try {
        await sim.waitFor(["IDPGATE-SIM done", "IDPGATE-SIM error ", "XS abort"]);
      } finally {
        text = await sim.stop();
      }
      for (const token of Object.values(tokens)) assert.ok(!text.includes(token), "no token in the app's output");
      const line = /^IDPGATE-SIM user-app (\{.*\})$/m.exec(text);
      assert.ok(line !== null, `the app printed no decisions:\n${tail(text)}`);
      t.diagnostic(`user-app: ${line[1]!}`);
      assert.deepEqual(JSON.parse(line[1]!), { valid: true, unknown: false, wrongScope: false });
    } finally {
      idp.stop();
    }
  },
);

/** The SDK's typings, in place of @moddable/typings (npm's stop at 5.6.0): the same modules tsconfig.moddable.json names. */
const SDK_TYPINGS = [
  "xs/includes/xs.d.ts",
  "typings/embedded_io/_common.d.ts",
  "typings/embedded_io/socket/udp.d.ts",
  "typings/timer.d.ts",
  "typings/time.d.ts",
  "typings/net.d.ts",
  "typings/mc/config.d.ts",
];

test("hosts/moddable and the examples type-check against the SDK's own typings too ($MODDABLE/typings, 8.2.x)", OPTIONS, async () => {
  const files = SDK_TYPINGS.map((f) => join(MODDABLE, f));
  for (const f of files) assert.ok(existsSync(f), `${f} is missing: is MODDABLE a Moddable SDK 8.x checkout?`);
  outRoot ??= mkdtempSync(join(tmpdir(), "idpgate-moddable-"));
  const config = join(mkdtempSync(join(outRoot, "typings-")), "tsconfig.json");
  writeFileSync(config, JSON.stringify({ extends: join(ROOT, "tsconfig.moddable.json"), compilerOptions: { noEmit: true }, files }));
  const r = await runToEnd(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", config, "--listFiles"], ROOT, process.env);
  const listed = r.text.split("\n");
  assert.equal(r.code, 0, `tsc against the SDK's typings:\n${tail(listed.filter((l) => !l.startsWith("/")).join("\n"))}`);
  for (const f of files) assert.ok(listed.includes(f), `checked with ${f}`);
  assert.ok(
    listed.some((l) => l.startsWith(join(ROOT, "hosts", "moddable"))),
    "hosts/moddable was part of the check",
  );
});
