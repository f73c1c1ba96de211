/**
 * Helpers for test/esp32/mcconfig.node.test.ts: what Moddable's generated esp32 makefile would run for our C
 * (`make -n`), ESP-IDF's compile command for its own mbedtls library (compile_commands.json of the xsProj
 * configure step), and the layout probe compiled under a command line. Nothing here fetches anything.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { run, splitCommand, tail } from "./_idf.js";

/** A compile command as argv without its source file and `-o` (append those), and where it runs. */
export interface Command {
  readonly argv: readonly string[];
  readonly cwd: string;
}

/**
 * The compile command the generated makefile has for each of `sources` (absolute paths), from `make -n -B` of
 * its object `$(TMP_DIR)/<name>.c.o` (the rule make.esp32.mk gives every module C file). -B because after a
 * build the objects are up to date and make would print nothing.
 */
export function moddableCompileCommands(
  tmpDir: string,
  compiler: string,
  sources: readonly string[],
  env: NodeJS.ProcessEnv,
): Map<string, Command> | string {
  const out = new Map<string, Command>();
  for (const source of sources) {
    const object = join(tmpDir, `${basename(source)}.o`);
    const result = run("make", ["-n", "-B", "-f", join(tmpDir, "makefile"), object], { cwd: tmpDir, env, timeoutMs: 120_000 });
    if (result.code !== 0) return `make -n ${object} failed:\n${tail(result.text)}`;
    const line = result.text.split("\n").find((l) => l.startsWith(`${compiler} `) && l.includes(` ${source} `));
    if (line === undefined) return `make -n ${object} printed no ${compiler} command for ${source}:\n${tail(result.text)}`;
    out.set(source, { argv: withoutOutput(splitCommand(line), source), cwd: tmpDir });
  }
  return out;
}

/** `argv` without `source` and without `-o` and its value. */
export function withoutOutput(argv: readonly string[], source: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? "";
    if (word === "-o") i++;
    else if (word !== source) out.push(word);
  }
  return out;
}

/** ESP-IDF's command for a file of its build (compile_commands.json), without -o, -c, the source, depfile flags. */
export function idfCommand(buildDir: string, fileSuffix: string): Command | string {
  const path = join(buildDir, "compile_commands.json");
  if (!existsSync(path)) return `${path} missing: the idf.py stand-in's reconfigure did not run`;
  const entries = JSON.parse(readFileSync(path, "utf8")) as { command: string; file: string; directory: string }[];
  const entry = entries.find((e) => e.file.endsWith(fileSuffix));
  if (entry === undefined) return `${path} has no entry for ${fileSuffix}`;
  const words = withoutOutput(splitCommand(entry.command), entry.file);
  const argv: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    if (word === "-MF" || word === "-MT") i++;
    else if (word !== "-c" && word !== "-MD") argv.push(word);
  }
  return { argv, cwd: entry.directory };
}

/** Configuration macros: what mbedtls, TF-PSA-Crypto, ESP-IDF's port and sdkconfig.h define. */
const CONFIG_MACRO = /^#define ((?:MBEDTLS_|PSA_|TF_PSA_|ESP_PSA_|CONFIG_)\S*)(.*)$/;

export interface Layout {
  /** symbol (idpgate_size_<type>) -> size in bytes */
  readonly sizes: Map<string, number>;
  /** macro name -> its definition */
  readonly macros: Map<string, string>;
}

/** Compiles the probe with `command` (plus `extra` flags) and reads its layout. */
export function probeLayout(
  command: Command,
  extra: readonly string[],
  probe: string,
  outBase: string,
  nm: string,
  env: NodeJS.ProcessEnv,
): Layout | string {
  const object = `${outBase}.o`;
  const [cc = "cc", ...args] = command.argv;
  const compiled = run(cc, [...args, ...extra, "-c", probe, "-o", object], {
    cwd: command.cwd,
    env,
  });
  if (compiled.code !== 0) return `probe did not compile:\n${tail(compiled.text, 30)}`;
  const macrosFile = `${outBase}.macros`;
  const pre = run(cc, [...args, ...extra, "-E", "-dM", probe, "-o", macrosFile], {
    cwd: command.cwd,
    env,
  });
  if (pre.code !== 0) return `probe -E -dM failed:\n${tail(pre.text, 30)}`;
  const symbols = run(nm, ["-S", object], { env });
  if (symbols.code !== 0) return `${nm} -S ${object}: ${symbols.text}`;
  const sizes = new Map<string, number>();
  for (const line of symbols.text.split("\n")) {
    const match = /^[0-9a-f]+ ([0-9a-f]+) \S (idpgate_size_\S+)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) sizes.set(match[2], Number.parseInt(match[1], 16));
  }
  const macros = new Map<string, string>();
  for (const line of readFileSync(macrosFile, "utf8").split("\n")) {
    const match = CONFIG_MACRO.exec(line);
    if (match?.[1] !== undefined) macros.set(match[1], (match[2] ?? "").trim());
  }
  return { sizes, macros };
}

/** Every difference between two layouts, as readable lines (empty when they agree). */
export function layoutDifferences(ours: Layout, theirs: Layout): string[] {
  const out: string[] = [];
  for (const [name, size] of theirs.sizes)
    if (ours.sizes.get(name) !== size)
      out.push(`sizeof ${name.slice("idpgate_size_".length)}: ours ${ours.sizes.get(name) ?? "absent"}, ESP-IDF's ${size}`);
  for (const name of ours.sizes.keys()) if (!theirs.sizes.has(name)) out.push(`sizeof ${name}: only in ours`);
  for (const [name, value] of theirs.macros)
    if (ours.macros.get(name) !== value)
      out.push(`${name}: ours ${ours.macros.get(name) ?? "undefined"}, ESP-IDF's ${value === "" ? "defined" : value}`);
  for (const name of ours.macros.keys()) if (!theirs.macros.has(name)) out.push(`${name}: defined only in ours`);
  return out;
}
