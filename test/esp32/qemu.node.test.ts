/**
 * The DTLS core on the ESP32-C3's CPU: modules/dtls's selftest (PSK and certificate handshakes in memory, data
 * both ways, resumption, loss, eviction, 3,000 hostile datagrams) and heap bench, built bare-metal for rv32imc
 * against mbedtls 4 with the device configuration, booted by the ROM of Espressif's QEMU (`-M esp32c3`) and
 * checked from what they print through the ROM's UART routine. Skipped, saying why, unless all of these are
 * given (docs/ESP32.md):
 *
 *   IDPGATE_QEMU            Espressif's qemu-system-riscv32 (machine esp32c3)
 *   IDPGATE_QEMU_BIOS       the directory holding esp32c3-rom.bin (default: <qemu>/../../pc-bios, a build tree)
 *   IDPGATE_MBEDTLS4_SRC    an mbedtls 4.x source tree with tf-psa-crypto/ and its generated files
 *   IDPGATE_ESPTOOL         how to run esptool 4.x, split on blanks (default "esptool.py")
 *   riscv32-esp-elf-gcc     on IDPGATE_ESP_TOOLCHAIN or PATH, able to link with -specs=picolibc.specs
 *
 * mbedtls is built once into build/esp32/mbedtls-rv32imc (delete it after changing the device config).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { findTool, resolveRoot, run, tail } from "./_idf.js";

const ROOT = resolveRoot(import.meta.url);
const QEMU = process.env["IDPGATE_QEMU"] ?? "";
const MBEDTLS = process.env["IDPGATE_MBEDTLS4_SRC"] ?? "";
const TOOL_DIRS = (process.env["IDPGATE_ESP_TOOLCHAIN"] ?? "").split(delimiter).filter((d) => d !== "");
const BIOS = process.env["IDPGATE_QEMU_BIOS"] ?? join(dirname(dirname(QEMU)), "pc-bios");
const ESPTOOL = (process.env["IDPGATE_ESPTOOL"] ?? "esptool.py").split(" ").filter((w) => w !== "");
const OUT = join(ROOT, "build", "esp32");
const BM = join(ROOT, "test", "esp32", "baremetal");
const CONFIG = join(ROOT, "modules", "dtls", "config");
/** The selftest's deepest frame chain needs about 21 KB on rv32imc; the rest of DRAM is heap. */
const STACK_BYTES = 24_576;
const ARCH = ["-march=rv32imc_zicsr_zifencei", "-mabi=ilp32", "-specs=picolibc.specs"];

const GCC = findTool("riscv32-esp-elf-gcc", TOOL_DIRS);
function skipReason(): string | false {
  if (QEMU === "" || !existsSync(QEMU)) return "IDPGATE_QEMU is not set: ESP32-C3 emulator runs skipped (docs/ESP32.md)";
  if (!existsSync(join(BIOS, "esp32c3-rom.bin"))) return `no esp32c3-rom.bin in ${BIOS} (IDPGATE_QEMU_BIOS): emulator runs skipped`;
  if (MBEDTLS === "" || !existsSync(join(MBEDTLS, "tf-psa-crypto", "CMakeLists.txt")))
    return "IDPGATE_MBEDTLS4_SRC is not an mbedtls 4.x tree with tf-psa-crypto/: emulator runs skipped";
  if (GCC === undefined) return "riscv32-esp-elf-gcc not found on IDPGATE_ESP_TOOLCHAIN or PATH: emulator runs skipped";
  return false;
}
const SKIP = skipReason();

function env(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: [...TOOL_DIRS, process.env["PATH"] ?? ""].join(delimiter) };
}

/** mbedtls 4 for rv32imc with modules/dtls's device config plus the bare-metal entropy/time hooks. */
function buildMbedtls(): string {
  const prefix = join(OUT, "mbedtls-rv32imc");
  if (existsSync(join(prefix, "lib", "libtfpsacrypto.a"))) return prefix;
  const build = join(prefix, "build");
  const configure = run(
    "cmake",
    [
      "-S",
      MBEDTLS,
      "-B",
      build,
      "-DCMAKE_SYSTEM_NAME=Generic",
      "-DCMAKE_SYSTEM_PROCESSOR=riscv32",
      `-DCMAKE_C_COMPILER=${GCC ?? ""}`,
      "-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY",
      "-DENABLE_TESTING=OFF",
      "-DENABLE_PROGRAMS=OFF",
      "-DGEN_FILES=OFF",
      "-DCMAKE_BUILD_TYPE=MinSizeRel",
      `-DCMAKE_C_FLAGS=${[...ARCH, "-ffunction-sections", "-fdata-sections", `-I${CONFIG}`].join(" ")}`,
      `-DCMAKE_INSTALL_PREFIX=${prefix}`,
      `-DMBEDTLS_USER_CONFIG_FILE=${join(CONFIG, "mbedtls4_device_config.h")}`,
      `-DTF_PSA_CRYPTO_USER_CONFIG_FILE=${join(BM, "tfpsa_baremetal.h")}`,
    ],
    { env: env() },
  );
  assert.equal(configure.code, 0, `mbedtls configure:\n${tail(configure.text)}`);
  const make = run("cmake", ["--build", build, "-j", "2"], { env: env(), timeoutMs: 1_500_000 });
  assert.equal(make.code, 0, `mbedtls build:\n${tail(make.text)}`);
  const install = run("cmake", ["--install", build], { env: env() });
  assert.equal(install.code, 0, `mbedtls install:\n${tail(install.text)}`);
  return prefix;
}

/** Links one test driver with every modules/dtls C file and makes a 4 MB flash image the ROM boots. */
function buildImage(driver: "selftest" | "heapbench", mbedtls: string): string {
  const out = join(OUT, `bm-${driver}`);
  mkdirSync(out, { recursive: true });
  const dtls = join(ROOT, "modules", "dtls");
  const sources = readdirSync(dtls)
    .filter((f) => f.endsWith(".c"))
    .map((f) => join(dtls, f));
  const elf = join(out, "app.elf");
  const romLd = join(process.env["IDF_PATH"] ?? "", "components", "esp_rom", "esp32c3", "ld", "esp32c3.rom.ld");
  const link = run(
    GCC ?? "gcc",
    [
      ...ARCH,
      "-Os",
      "-g",
      "-ffunction-sections",
      "-fdata-sections",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-std=gnu17",
      `-DSTACK_SIZE=${STACK_BYTES}`,
      `-DBM_EPOCH=${Math.floor(Date.now() / 1000)}`,
      `-I${join(BM, "include")}`,
      `-I${join(mbedtls, "include")}`,
      `-I${CONFIG}`,
      '-DMBEDTLS_USER_CONFIG_FILE="mbedtls4_device_config.h"',
      `-DTF_PSA_CRYPTO_USER_CONFIG_FILE="${join(BM, "tfpsa_baremetal.h")}"`,
      `-I${dtls}`,
      "-nostartfiles",
      "-T",
      join(BM, "bm.ld"),
      `-Wl,--defsym=STACK_SIZE=${STACK_BYTES}`,
      "-Wl,--gc-sections",
      `-Wl,-Map=${join(out, "app.map")}`,
      // the ROM's entry points (uart_tx_one_char): ESP-IDF's list when IDF_PATH is given, else two symbols
      ...(existsSync(romLd) ? [] : ["-Wl,--defsym=uart_tx_one_char=0x40000068", "-Wl,--defsym=ets_printf=0x40000040"]),
      "-o",
      elf,
      join(BM, "start.S"),
      join(BM, "bm_main.c"),
      join(dtls, "test", `dtls_${driver}.c`),
      ...sources,
      ...(driver === "heapbench" ? ["-Wl,--wrap=calloc,--wrap=malloc,--wrap=free"] : []),
      join(mbedtls, "lib", "libmbedtls.a"),
      join(mbedtls, "lib", "libmbedx509.a"),
      join(mbedtls, "lib", "libtfpsacrypto.a"),
      ...(existsSync(romLd) ? [romLd] : []),
      "-lc",
      "-lgcc",
    ],
    { env: env() },
  );
  assert.equal(link.code, 0, `${driver} link:\n${tail(link.text)}`);
  const [tool = "esptool.py", ...pre] = ESPTOOL;
  const bin = join(out, "app.bin");
  const flash = join(out, "flash.bin");
  const image = run(tool, [...pre, "--chip", "esp32c3", "elf2image", "--flash_mode", "dio", "--flash_size", "4MB", "-o", bin, elf], {
    env: env(),
  });
  assert.equal(image.code, 0, `esptool elf2image:\n${tail(image.text)}`);
  const merge = run(tool, [...pre, "--chip", "esp32c3", "merge_bin", "--fill-flash-size", "4MB", "-o", flash, "0x0", bin], { env: env() });
  assert.equal(merge.code, 0, `esptool merge_bin:\n${tail(merge.text)}`);
  return flash;
}

/** Boots the image and returns the console output up to "BM exit <n>" (QEMU is stopped then). */
function boot(flash: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const qemu = spawn(QEMU, ["-M", "esp32c3", "-nographic", "-L", BIOS, "-drive", `file=${flash},if=mtd,format=raw`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    const stop = (): void => {
      clearTimeout(timer);
      qemu.kill("SIGTERM");
    };
    const timer = setTimeout(stop, timeoutMs);
    const take = (chunk: Buffer): void => {
      text += chunk.toString("latin1");
      if (/BM exit -?\d+/.test(text) || /Guru Meditation/.test(text)) setTimeout(stop, 200);
    };
    qemu.stdout.on("data", take);
    qemu.stderr.on("data", take);
    qemu.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

interface Bench {
  readonly name: string;
  readonly [key: string]: unknown;
}

test("ESP32-C3 (QEMU): the DTLS selftest passes bare-metal on the target CPU", { skip: SKIP, timeout: 1_800_000 }, async (t) => {
  const flash = buildImage("selftest", buildMbedtls());
  const text = await boot(flash, 600_000);
  writeFileSync(join(OUT, "bm-selftest", "console.log"), text);
  t.diagnostic(tail(text.replace(/\r/g, ""), 20));
  assert.match(text, /certificate handshake \(ECDHE-ECDSA P-256, server MTU 256\): ok/);
  assert.match(text, /hostile datagrams: \d+ into a server and a connected client, both still work: ok/);
  assert.match(text, /selftest ok/, "the selftest did not finish");
  assert.match(text, /BM exit 0/);
  assert.doesNotMatch(text, /FAIL /);
});

test(
  "ESP32-C3 (QEMU): the DTLS heap bench runs bare-metal and the PSK client stays in its budget",
  { skip: SKIP, timeout: 1_800_000 },
  async (t) => {
    const flash = buildImage("heapbench", buildMbedtls());
    const text = await boot(flash, 600_000);
    writeFileSync(join(OUT, "bm-heapbench", "console.log"), text);
    assert.match(text, /BM exit 0/, tail(text, 20));
    const rows: Bench[] = [];
    for (const match of text.matchAll(/^BENCH (\{.*\})\r?$/gm)) if (match[1] !== undefined) rows.push(JSON.parse(match[1]) as Bench);
    for (const row of rows) t.diagnostic(`ESP32C3-BENCH ${JSON.stringify(row)}`);
    writeFileSync(join(OUT, "bm-heapbench", "bench.json"), `${JSON.stringify(rows, null, 2)}\n`);
    const psk = rows.find((r) => r.name.startsWith("client PSK-CCM8 handshake heap"));
    assert.ok(psk !== undefined, "no PSK client row");
    assert.match(psk.name, /32-bit/);
    const peak = psk["requestedPeakBytes"];
    assert.ok(typeof peak === "number" && peak > 1000 && peak < 6000, `PSK client peak ${String(peak)} outside 1-6 KB (DESIGN.md: 5.1 KB)`);
  },
);
