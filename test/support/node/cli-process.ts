/**
 * The idpgate CLI as real processes (build/hosts/node/cli/main.js): one command run to its exit code,
 * or `idp serve` kept running on an ephemeral loopback port until stopped.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CLI = join(process.cwd(), "build", "hosts", "node", "cli", "main.js");

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `idpgate ...args` to its end (killed after 20 s). */
export function cli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error !== null && error.killed) return reject(new Error(`idpgate ${args[0]} did not finish`));
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

export interface Serve {
  /** The introspection endpoint: coaps://127.0.0.1:PORT/idp/introspect. */
  readonly url: string;
  readonly process: ChildProcess;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** Starts `idpgate idp serve --port 0 ...args` and resolves once it prints where it listens. */
export async function serve(args: readonly string[]): Promise<Serve> {
  const child = spawn(process.execPath, [CLI, "idp", "serve", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`idp serve did not start: ${err}`)), 10_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (coaps?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`${m[1]!}/idp/introspect`);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`idp serve exited ${code}: ${err}`));
    });
  });
  return {
    url,
    process: child,
    stderr: () => err,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}

export interface TokensFile {
  /** A fresh temporary directory holding the file; remove it with `remove()`. */
  readonly dir: string;
  /** The tokens file for `idp serve --tokens`. */
  readonly file: string;
  /** One random 100-character token (the hosted provider's size) per entry, in order. */
  readonly tokens: readonly string[];
  remove(): void;
}

/** Writes a tokens file (README, "Tokens file") with a new random token for each entry. */
export function writeTokensFile(entries: readonly Readonly<Record<string, unknown>>[]): TokensFile {
  const dir = mkdtempSync(join(tmpdir(), "idpgate-cli-"));
  const tokens = entries.map(() => randomBytes(75).toString("base64url"));
  const file = join(dir, "tokens.json");
  writeFileSync(file, JSON.stringify(entries.map((e, i) => ({ token: tokens[i], ...e }))));
  return { dir, file, tokens, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
