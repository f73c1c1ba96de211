/**
 * examples/gate through Moddable's own ESP32 build (Node only; skipped, saying why, without MODDABLE, IDF_PATH
 * and the target's compiler). Issue 12 item 2.
 *
 * Runs `mcconfig -m -p esp32/esp32c3` on examples/gate with test/esp32/idf-standin/idf.py first on PATH (it
 * records its calls; `reconfigure` runs ESP-IDF's CMake configure step, which writes sdkconfig.h and
 * compile_commands.json; build and flash do nothing). Then:
 *  - the stand-in was asked to reconfigure with Moddable's sdkconfig.mc, in which every setting of our fragment
 *    is the last word on its key, and the generated sdkconfig.h has every setting of that fragment;
 *  - the generated makefile builds every device C file of our manifests, and `make -n` of each one's object
 *    gives the exact command Moddable runs: each compiles, with -Werror added (make.esp32.mk's C_FLAGS has no
 *    -Wall; nothing else is added);
 *  - test/esp32/probe/mbedtls_layout.c compiled with Moddable's command for dtls_session.c and with ESP-IDF's
 *    command for its own mbedtls library (library/ssl_tls.c in compile_commands.json) has the same size for
 *    every mbedtls structure our C embeds and the same configuration macros (MBEDTLS_*, PSA_*, TF_PSA_*,
 *    CONFIG_*): our objects and ESP-IDF's mbedtls agree on layouts. The same probe with mbedtls's default
 *    configuration forced (what Moddable's flags gave before dtls_mbedtls_config.h) must differ, so the
 *    comparison can see a mismatch.
 * Where `mcconfig -m` itself stopped (after our C it compiles Moddable's own modules against the trees given)
 * is printed, not asserted: with a normal ESP-IDF install it goes on to a firmware image.
 *
 * Environment (docs/ESP32.md section 2): MODDABLE (an SDK built for the host), IDF_PATH (ESP-IDF v6.0 with
 * components/mbedtls/mbedtls populated), IDPGATE_ESP_TOOLCHAIN (directories holding riscv32-esp-elf-*; else
 * PATH), IDPGATE_IDF_PYTHON (a python with esp-idf-kconfig; give PYTHONPATH as needed), cmake and ninja.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, delimiter, join } from "node:path";
import { deviceCFiles, findTool, parseSdkconfig, resolveRoot, run, sdkconfigFragments, sdkconfigMismatches, tail } from "./_idf.js";
import { idfCommand, layoutDifferences, moddableCompileCommands, probeLayout } from "./_moddable.js";

const ROOT = resolveRoot(import.meta.url);
const IDF_PATH = process.env["IDF_PATH"] ?? "";
const MODDABLE = process.env["MODDABLE"] ?? "";
const TOOL_DIRS = (process.env["IDPGATE_ESP_TOOLCHAIN"] ?? "").split(delimiter).filter((d) => d !== "");
const MODDABLE_BIN = join(MODDABLE, "build", "bin", "lin", "release");
const STANDIN = join(ROOT, "test", "esp32", "idf-standin");
const PROBE = join(ROOT, "test", "esp32", "probe", "mbedtls_layout.c");

const TARGETS = [
  { platform: "esp32/esp32c3", chip: "esp32c3", prefix: "riscv32-esp-elf-" },
  { platform: "esp32", chip: "esp32", prefix: "xtensa-esp32-elf-" },
] as const;

function skipReason(prefix: string, chip: string): string | false {
  if (MODDABLE === "" || !existsSync(join(MODDABLE_BIN, "mcconfig")))
    return "MODDABLE is not set or has no build/bin/lin/release/mcconfig: mcconfig esp32 checks skipped (docs/MODDABLE.md)";
  if (IDF_PATH === "" || !existsSync(join(IDF_PATH, "tools", "cmake", "project.cmake")))
    return "IDF_PATH is not set or is no ESP-IDF tree: mcconfig esp32 checks skipped (docs/ESP32.md)";
  if (findTool(`${prefix}gcc`, TOOL_DIRS) === undefined)
    return `${prefix}gcc not found on IDPGATE_ESP_TOOLCHAIN or PATH: mcconfig ${chip} checks skipped (docs/ESP32.md)`;
  if (findTool("cmake") === undefined || findTool("ninja") === undefined)
    return "cmake or ninja not on PATH: mcconfig esp32 checks skipped";
  return false;
}

/** The first line of a build log that reports an error, for the diagnostic. */
function firstError(text: string): string {
  return text.split("\n").find((l) => /: (fatal )?error|\*\*\* |Error \d/.test(l)) ?? "(none)";
}

for (const target of TARGETS) {
  const skip = skipReason(target.prefix, target.chip);
  test(
    `mcconfig -m -p ${target.platform} on examples/gate: sdkconfig has our fragment, our C compiles with Moddable's own commands, and sees ESP-IDF's mbedtls layouts`,
    { skip, timeout: 2_400_000 },
    (t) => {
      const out = join(ROOT, "build", "esp32", `mcconfig-${target.chip}`);
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      const log = join(out, "idf.log");
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: [STANDIN, ...TOOL_DIRS, MODDABLE_BIN, join(ROOT, "node_modules", ".bin"), process.env["PATH"] ?? ""].join(delimiter),
        IDPGATE_IDF_LOG: log,
      };
      const built = run("mcconfig", ["-m", "-p", target.platform, "-o", out], {
        cwd: join(ROOT, "examples", "gate"),
        env,
        timeoutMs: 1_800_000,
      });
      writeFileSync(join(out, "mcconfig.log"), built.text);
      t.diagnostic(`mcconfig -m exit ${built.code}; first error: ${firstError(built.text)}`);

      const tmp = join(out, "tmp", ...target.platform.split("/"), "release", "gate");
      assert.ok(existsSync(join(tmp, "makefile")), `mcconfig wrote no makefile:\n${tail(built.text)}`);

      // The stand-in's reconfigure call and the sdkconfig it produced.
      const calls = existsSync(log)
        ? readFileSync(log, "utf8")
            .split("\n")
            .filter((l) => l !== "")
        : [];
      const reconfigure = calls.find((c) => / reconfigure /.test(` ${c} `));
      assert.ok(reconfigure !== undefined, `idf.py was not asked to reconfigure; calls: ${calls.join(" | ")}\n${tail(built.text)}`);
      const proj = join(tmp, `xsProj-${target.chip}`);
      assert.ok(reconfigure.includes(`SDKCONFIG_DEFAULTS=${join(proj, "sdkconfig.mc")}`), reconfigure);
      assert.ok(reconfigure.includes(`IDF_TARGET=${target.chip}`), reconfigure);
      const merged = readFileSync(join(proj, "sdkconfig.mc"), "utf8");
      const header = join(proj, "build", "config", "sdkconfig.h");
      assert.ok(existsSync(header), `no sdkconfig.h: the configure step failed:\n${tail(built.text)}`);
      // mcconfig appends each fragment's settings (comments dropped): the last value of each key is ours.
      const mergedSettings = parseSdkconfig(merged);
      const mismatches: string[] = [];
      for (const file of sdkconfigFragments(ROOT)) {
        const fragment = parseSdkconfig(readFileSync(file, "utf8"));
        for (const [key, value] of fragment)
          if (mergedSettings.get(key) !== value)
            mismatches.push(`sdkconfig.mc: ${key}=${mergedSettings.get(key) ?? "(absent)"}, ours ${value}`);
        mismatches.push(...sdkconfigMismatches(fragment, readFileSync(header, "utf8")));
      }
      assert.deepEqual(mismatches, [], "settings of our sdkconfig.defaults that the generated sdkconfig.h does not have");

      // Every device C file is in the build, and compiles with the command Moddable generated for it.
      const makefile = readFileSync(join(tmp, "makefile"), "utf8");
      const sources = deviceCFiles(ROOT).map((f) => join(ROOT, f));
      for (const source of sources) assert.ok(makefile.includes(`$(TMP_DIR)/${basename(source)}.o`), `${source} is not in OBJECTS`);
      const compiler = `${target.prefix}gcc`;
      const commands = moddableCompileCommands(tmp, compiler, sources, env);
      if (typeof commands === "string") assert.fail(commands);
      const objDir = join(out, "ours");
      mkdirSync(objDir, { recursive: true });
      const failures: string[] = [];
      for (const [source, command] of commands) {
        const [cc = compiler, ...args] = command.argv;
        const result = run(cc, [...args, "-Werror", "-fdiagnostics-color=never", source, "-o", join(objDir, `${basename(source)}.o`)], {
          cwd: command.cwd,
          env,
        });
        if (result.code !== 0) failures.push(`${source}:\n${tail(result.text, 20)}`);
      }
      assert.deepEqual(failures, [], "our C files that do not compile with Moddable's own command (+ -Werror)");

      // Our objects and ESP-IDF's mbedtls library agree on configuration and structure sizes.
      const nm = findTool(`${target.prefix}nm`, TOOL_DIRS) ?? `${target.prefix}nm`;
      const session = commands.get(join(ROOT, "modules", "dtls", "dtls_session.c"));
      assert.ok(session !== undefined);
      const library = idfCommand(join(proj, "build"), join("mbedtls", "library", "ssl_tls.c"));
      if (typeof library === "string") assert.fail(library);
      const ours = probeLayout(session, [], PROBE, join(out, "probe-moddable"), nm, env);
      const ourIncludes = [`-I${join(ROOT, "modules", "dtls")}`, `-I${join(ROOT, "modules", "digest")}`];
      const theirs = probeLayout(library, ourIncludes, PROBE, join(out, "probe-idf"), nm, env);
      if (typeof ours === "string") assert.fail(`Moddable's command: ${ours}`);
      if (typeof theirs === "string") assert.fail(`ESP-IDF's mbedtls command: ${theirs}`);
      assert.ok(theirs.sizes.has("idpgate_size_mbedtls_ssl_context") && theirs.macros.has("MBEDTLS_SSL_PROTO_DTLS"), "probe read nothing");
      t.diagnostic(`layout: ${theirs.sizes.size} sizes, ${theirs.macros.size} configuration macros compared`);
      assert.deepEqual(layoutDifferences(ours, theirs), [], "our C under Moddable's flags sees another mbedtls than ESP-IDF built");

      const empty = join(out, "empty.h");
      writeFileSync(empty, "");
      const defaults = probeLayout(
        session,
        ['-DMBEDTLS_CONFIG_FILE="mbedtls/mbedtls_config.h"', `-DTF_PSA_CRYPTO_USER_CONFIG_FILE="${empty}"`],
        PROBE,
        join(out, "probe-defaults"),
        nm,
        env,
      );
      if (typeof defaults === "string") assert.fail(`Moddable's command with mbedtls defaults: ${defaults}`);
      const wrong = layoutDifferences(defaults, theirs).filter((d) => d.startsWith("sizeof"));
      t.diagnostic(`with mbedtls's default configuration: ${wrong.join("; ")}`);
      assert.ok(wrong.length > 0, "the layout comparison cannot tell mbedtls's default configuration from ESP-IDF's");
    },
  );
}
