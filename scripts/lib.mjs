// Shared helpers for the project scripts (plain Node, no dependencies: they run before `npm install`).
import { spawnSync, spawn } from "node:child_process";
import { existsSync, statSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export function say(message) {
  process.stdout.write(`[idpgate] ${message}\n`);
}

/** Runs a command with inherited output; throws with the command line when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  if (result.error) throw new Error(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.status ?? result.signal}`);
  return result;
}

/** Runs a command and resolves with {code, stdout, stderr}; output is also streamed when `echo` is set. */
export function capture(command, args, { echo = false, prefix = "", cwd = root, env = process.env, timeoutMs = 0 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timer;
    if (timeoutMs > 0) timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const relay = (stream, chunk) => {
      if (!echo) return;
      const text = chunk.toString();
      stream.write(prefix ? text.replace(/^(?=.)/gm, prefix) : text);
    };
    child.stdout.on("data", (c) => {
      stdout += c;
      relay(process.stdout, c);
    });
    child.stderr.on("data", (c) => {
      stderr += c;
      relay(process.stderr, c);
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + String(error) });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), signal, stdout, stderr });
    });
  });
}

export function which(command) {
  const result = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Every file under `dir` (recursive) whose name satisfies `keep`, sorted. */
export function listFiles(dir, keep) {
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (keep(path)) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

/** The newest modification time among files under `dirs` accepted by `keep`. */
export function newest(dirs, keep = () => true) {
  let latest = 0;
  for (const dir of dirs) for (const f of listFiles(join(root, dir), keep)) latest = Math.max(latest, mtime(f));
  return latest;
}

/** A tool installed in node_modules/.bin (no npx: it prints config warnings and may try the network). */
export function bin(tool) {
  return join(root, "node_modules", ".bin", tool);
}
