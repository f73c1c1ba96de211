/**
 * Helpers for the ESP32 suites: the C files the device build uses (read from the manifests, so a file added
 * to or split out of modules/dtls is picked up), an ESP-IDF probe project whose CMake configure step yields
 * ESP-IDF's own compile command and the sdkconfig merged from Moddable's defaults and ours, and section sizes.
 * Nothing here fetches anything: the trees come from the environment (docs/ESP32.md).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";

/** Manifests whose C files a device app that includes the root manifest compiles. */
export const DEVICE_MANIFESTS = ["modules/dtls/manifest.json", "modules/digest/manifest.json", "hosts/moddable/manifest.json"];

/** Directories whose every .c file is device code even if a manifest names it differently. */
const DEVICE_C_DIRS = ["modules/dtls", "modules/digest", "modules/dtls/xs", "modules/digest/xs", "hosts/moddable"];

interface Manifest {
  readonly modules?: Record<string, string | readonly string[]>;
  readonly platforms?: Record<string, { readonly build?: Record<string, string> }>;
}

function readManifest(root: string, path: string): Manifest {
  const text = readFileSync(join(root, path), "utf8");
  return JSON.parse(text) as Manifest;
}

/** Every C file (repository-relative) the manifests list, plus every .c file in the device directories. */
export function deviceCFiles(root: string): string[] {
  const found = new Set<string>();
  for (const path of DEVICE_MANIFESTS) {
    const dir = dirname(path);
    for (const entry of Object.values(readManifest(root, path).modules ?? {})) {
      for (const spec of typeof entry === "string" ? [entry] : entry) {
        if (spec.startsWith("$(")) continue;
        const file = join(dir, spec.endsWith(".c") ? spec : `${spec}.c`);
        if (existsSync(join(root, file))) found.add(file);
      }
    }
  }
  for (const dir of DEVICE_C_DIRS) {
    if (!existsSync(join(root, dir))) continue;
    for (const name of readdirSync(join(root, dir))) if (name.endsWith(".c")) found.add(join(dir, name));
  }
  return [...found].sort();
}

/** The sdkconfig.defaults files the esp32 sections of the device manifests name (SDKCONFIGPATH). */
export function sdkconfigFragments(root: string): string[] {
  const out: string[] = [];
  for (const path of DEVICE_MANIFESTS) {
    const dir = readManifest(root, path).platforms?.["esp32"]?.build?.["SDKCONFIGPATH"];
    if (dir === undefined) continue;
    const file = join(root, dirname(path), dir, "sdkconfig.defaults");
    if (existsSync(file) && !out.includes(file)) out.push(file);
  }
  return out;
}

/** `KEY=value` settings of an sdkconfig fragment (comments and blanks dropped). */
export function parseSdkconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^(CONFIG_[A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) out.set(match[1], match[2]);
  }
  return out;
}

/** Where a fragment's setting disagrees with the generated sdkconfig.h (an `=n` key must be undefined). */
export function sdkconfigMismatches(fragment: Map<string, string>, header: string): string[] {
  const defined = new Map<string, string>();
  for (const match of header.matchAll(/^#define (CONFIG_[A-Z0-9_]+) (.*)$/gm))
    if (match[1] !== undefined && match[2] !== undefined) defined.set(match[1], match[2].trim());
  const bad: string[] = [];
  for (const [key, want] of fragment) {
    const got = defined.get(key);
    if (want === "n") {
      if (got !== undefined) bad.push(`${key}=n but sdkconfig.h defines it ${got}`);
    } else if (want === "y") {
      if (got !== "1") bad.push(`${key}=y but sdkconfig.h has ${got ?? "nothing"}`);
    } else if (got !== want.replace(/^"(.*)"$/, '"$1"')) {
      bad.push(`${key}=${want} but sdkconfig.h has ${got ?? "nothing"}`);
    }
  }
  return bad;
}

/** The first PATH entry (or given directory) holding `tool`, or undefined. */
export function findTool(tool: string, dirs: readonly string[] = []): string | undefined {
  for (const dir of [...dirs, ...(process.env["PATH"] ?? "").split(delimiter)]) {
    if (dir !== "" && existsSync(join(dir, tool))) return join(dir, tool);
  }
  return undefined;
}

export interface Run {
  readonly code: number | null;
  readonly text: string;
}

export function run(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Run {
  const result = spawnSync(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status, text: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}` };
}

export function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

export interface Probe {
  /** ESP-IDF's compile command for a C file of a component that requires mbedtls, up to `-o`. */
  readonly compile: readonly string[];
  /** build/config/sdkconfig.h as generated. */
  readonly sdkconfigH: string;
  readonly dir: string;
}

/**
 * Writes a two-file ESP-IDF project requiring the components our C uses (mbedtls, esp_hw_support for
 * esp_random.h, freertos and esp_timer for Moddable's xsHost.h) into `dir`, with sdkconfig.defaults made the way
 * mcconfig makes it (Moddable's xsProj-<target> defaults, then every fragment our manifests name), and runs
 * CMake's configure step. Returns ESP-IDF's compile command for the probe's C file.
 */
export function configureProbe(root: string, dir: string, target: string, env: NodeJS.ProcessEnv): Probe | string {
  const idf = env["IDF_PATH"] ?? "";
  const moddable = env["MODDABLE"] ?? "";
  mkdirSync(join(dir, "main"), { recursive: true });
  writeFileSync(
    join(dir, "CMakeLists.txt"),
    "cmake_minimum_required(VERSION 3.16)\nset(COMPONENTS main)\ninclude($ENV{IDF_PATH}/tools/cmake/project.cmake)\nproject(idpgate_probe)\n",
  );
  writeFileSync(
    join(dir, "main", "CMakeLists.txt"),
    'idf_component_register(SRCS "probe.c" REQUIRES mbedtls esp_hw_support esp_system freertos esp_timer)\n',
  );
  writeFileSync(join(dir, "main", "probe.c"), "void app_main(void) {}\n");
  const defaults: string[] = [];
  const proj = join(moddable, "build", "devices", "esp32", `xsProj-${target}`);
  if (moddable !== "" && existsSync(join(proj, "sdkconfig.defaults"))) {
    defaults.push(readFileSync(join(proj, "sdkconfig.defaults"), "utf8"));
    if (existsSync(join(proj, "partitions.csv"))) copyFileSync(join(proj, "partitions.csv"), join(dir, "partitions.csv"));
  }
  for (const file of sdkconfigFragments(root)) defaults.push(readFileSync(file, "utf8"));
  writeFileSync(join(dir, "sdkconfig.defaults"), defaults.join("\n"));
  const python = env["IDPGATE_IDF_PYTHON"] ?? "python3";
  const result = run(
    "cmake",
    ["-G", "Ninja", "-S", dir, "-B", join(dir, "build"), `-DIDF_TARGET=${target}`, "-DPYTHON_DEPS_CHECKED=1", `-DPYTHON=${python}`],
    {
      env: { ...env, IDF_COMPONENT_MANAGER: "0", ESP_ROM_ELF_DIR: env["ESP_ROM_ELF_DIR"] ?? join(dir, "no-rom-elfs") },
      timeoutMs: 600_000,
    },
  );
  const commands = join(dir, "build", "compile_commands.json");
  if (result.code !== 0 || !existsSync(commands)) return `cmake configure for ${target} in ${idf} failed:\n${tail(result.text)}`;
  const entries = JSON.parse(readFileSync(commands, "utf8")) as { command: string; file: string }[];
  const probe = entries.find((e) => e.file.endsWith(join("main", "probe.c")));
  if (probe === undefined) return "compile_commands.json has no entry for main/probe.c";
  const words = splitCommand(probe.command);
  const cut = words.indexOf("-o");
  return {
    compile: cut > 0 ? words.slice(0, cut) : words,
    sdkconfigH: readFileSync(join(dir, "build", "config", "sdkconfig.h"), "utf8"),
    dir,
  };
}

/** Splits a compile_commands.json command line as a POSIX shell would (quotes and backslashes). */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? "";
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word += line[++i] ?? "";
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i] ?? "";
      inWord = true;
    } else if (c === " " || c === "\t") {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}

export interface Sizes {
  text: number;
  rodata: number;
  data: number;
  bss: number;
}

/** Section sizes of an object file from `<prefix>size -A`, grouped the way bench/report.md lists them. */
export function sectionSizes(sizeTool: string, object: string): Sizes | string {
  const result = run(sizeTool, ["-A", object]);
  if (result.code !== 0) return result.text;
  const sizes: Sizes = { text: 0, rodata: 0, data: 0, bss: 0 };
  for (const line of result.text.split("\n")) {
    const match = /^(\.\S+)\s+(\d+)\s+\d+/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    const name = match[1];
    const size = Number(match[2]);
    if (/^\.(text|literal|iram)/.test(name)) sizes.text += size;
    else if (/^\.s?rodata/.test(name)) sizes.rodata += size;
    else if (/^\.s?data/.test(name)) sizes.data += size;
    else if (/^\.s?bss/.test(name)) sizes.bss += size;
  }
  return sizes;
}

export const resolveRoot = (url: string): string => resolve(new URL("../../../", url).pathname);
