#!/usr/bin/env node
// Set-up only: Debian packages, npm dependencies, the XS test host and the N-API DTLS addon.
// Each step checks first and does nothing when its result is already there and up to date.
// Usage: node scripts/setup.mjs [--quiet]
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { root, say, run, which, mtime, newest, listFiles, bin } from "./lib.mjs";

const quiet = process.argv.includes("--quiet");
const note = (m) => {
  if (!quiet) say(m);
};

/** Debian packages and how to tell each one is present. */
const DEBIAN = [
  { pkg: "build-essential", present: () => which("gcc") && which("make") && which("g++") },
  { pkg: "libmbedtls-dev", present: () => existsSync("/usr/include/mbedtls/ssl.h") },
  {
    pkg: "libcoap3-bin",
    present: () => ["coap-client-openssl", "coap-server-openssl", "coap-client-gnutls", "coap-server-gnutls"].every(which),
  },
  { pkg: "openssl", present: () => which("openssl") },
  { pkg: "valgrind", present: () => which("valgrind") },
  // gcc's AddressSanitizer and UBSan runtimes (test/dtls/sanitizers.node.test.ts); gcc-12 normally brings both
  { pkg: "libasan8", present: () => gccHas("libasan.so") },
  { pkg: "libubsan1", present: () => gccHas("libubsan.so") },
  { pkg: "python3", present: () => which("python3") },
];

/** Whether gcc finds a runtime library (it prints the bare name back when it does not). */
function gccHas(lib) {
  if (!which("gcc")) return false;
  try {
    const path = execFileSync("gcc", [`-print-file-name=${lib}`], { encoding: "utf8" }).trim();
    return path.startsWith("/") && existsSync(path);
  } catch {
    return false;
  }
}

/** Runs a command as root: directly when we are root, else through sudo; throws when neither can. */
export function asRoot(command, args) {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (process.getuid?.() === 0) run(command, args, { env });
  else if (which("sudo")) run("sudo", ["-E", command, ...args], { env });
  else throw new Error(`${command} needs root, and neither root nor sudo is available`);
}

/** Installs the packages of `list` whose check fails (one apt-get update first), then checks again. */
export function installMissing(list, what) {
  const missing = list.filter((d) => !d.present()).map((d) => d.pkg);
  if (missing.length === 0) return note(`${what}: all present`);
  say(`installing ${what}: ${missing.join(" ")}`);
  asRoot("apt-get", ["update", "-qq"]);
  asRoot("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing]);
  const still = list.filter((d) => !d.present()).map((d) => d.pkg);
  if (still.length > 0) throw new Error(`${what} still missing after install: ${still.join(", ")}`);
}

export function setupDebian() {
  installMissing(DEBIAN, "Debian packages");
}

/**
 * What `npm run bench` adds for its device rows: a 32-bit C library (mbedtls heap as on a 32-bit device),
 * the rv32imc compiler and picolibc (code size for ESP32-C3's ISA), dpkg-dev (`apt-get source mbedtls`).
 */
const BENCH_DEBIAN = [
  {
    pkg: "gcc-multilib",
    present: () => existsSync("/usr/include/x86_64-linux-gnu/gnu/stubs-32.h") || existsSync("/usr/include/gnu/stubs-32.h"),
  },
  { pkg: "gcc-riscv64-unknown-elf", present: () => which("riscv64-unknown-elf-gcc") },
  { pkg: "picolibc-riscv64-unknown-elf", present: () => existsSync("/usr/lib/picolibc/riscv64-unknown-elf") },
  { pkg: "dpkg-dev", present: () => which("dpkg-source") },
];

export function setupBenchDebian() {
  installMissing(BENCH_DEBIAN, "benchmark packages");
}

export function setupNpm() {
  const stamp = join(root, "node_modules", ".package-lock.json");
  const lock = join(root, "package-lock.json");
  if (existsSync(stamp) && mtime(stamp) >= mtime(lock) && existsSync(join(root, "node_modules", "typescript"))) {
    return note("npm dependencies: up to date");
  }
  say("installing npm dependencies (npm ci)");
  run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
}

export function setupXsHost() {
  const makefile = join(root, "hosts", "xs", "Makefile");
  if (!existsSync(makefile)) throw new Error("hosts/xs/Makefile is missing");
  const binary = join(root, "hosts", "xs", "out", "idpgate-xs");
  if (!existsSync(binary)) say("building the XS test host from @agoric/xsnap's XS sources (about a minute, once)");
  else note("XS test host: checking it is up to date");
  run("make", ["-C", "hosts/xs", "-j2", "--no-print-directory", ...(quiet ? ["-s"] : [])]);
}

export function setupAddon() {
  const dir = join(root, "hosts", "node", "native");
  if (!existsSync(join(dir, "binding.gyp"))) throw new Error("hosts/node/native/binding.gyp is missing");
  const outputs = listFiles(join(dir, "build", "Release"), (p) => p.endsWith(".node"));
  const built = outputs.length > 0 ? Math.min(...outputs.map(mtime)) : 0;
  const inputs = Math.max(
    newest(["modules/dtls"], (p) => /\.(c|h)$/.test(p) && !p.includes("/xs/") && !p.includes("/test/")),
    newest(["hosts/node/native"], (p) => /\.(c|h|gyp)$/.test(p) && !p.includes("/build/")),
  );
  if (built >= inputs && built > 0) return note("DTLS addon: up to date");
  say("building the N-API DTLS addon (node-gyp, Debian's mbedtls)");
  // Build against the installed Node headers: this machine has no access to nodejs.org.
  const nodedir = existsSync("/usr/include/node/node_api.h") ? ["--nodedir=/usr"] : [];
  run(bin("node-gyp"), ["rebuild", "--directory", "hosts/node/native", "--loglevel=error", ...nodedir]);
}

export function setupAll() {
  setupDebian();
  setupNpm();
  setupXsHost();
  setupAddon();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    setupAll();
    note("set-up complete");
  } catch (error) {
    say(`set-up failed: ${error.message}`);
    process.exit(1);
  }
}
