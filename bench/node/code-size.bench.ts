/**
 * Code size of the DTLS core plus mbedtls for rv32imc (the ESP32-C3 instruction set), -Os: runs
 * bench/size/rv32imc.sh on the mbedtls source tree named by the environment variable MBEDTLS_SRC and
 * forwards its figures as BENCH rows (bytes of .text, .rodata, .data, .bss after --gc-sections; see the
 * script for the configurations and links). Without riscv64-unknown-elf-gcc or MBEDTLS_SRC it prints one
 * row saying why nothing was measured, and does not fail.
 *
 *   MBEDTLS_SRC=/path/to/mbedtls-2.28.3 node build/bench/node/code-size.bench.js
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const SECTION = "DTLS code size (rv32imc -Os)";
const PARTS = "DTLS code size by part (rv32imc -Os)";
const script = join(ROOT, "bench", "size", "rv32imc.sh");

function row(section: string, fields: Record<string, string | number>): void {
  console.log(`BENCH ${JSON.stringify({ section, ...fields })}`);
}

function notMeasured(reason: string): void {
  row(SECTION, { name: "not measured", reason });
}

function hasTool(tool: string): boolean {
  return spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0;
}

const src = process.env["MBEDTLS_SRC"];
if (!hasTool("riscv64-unknown-elf-gcc")) {
  notMeasured("riscv64-unknown-elf-gcc not installed (apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)");
} else if (src === undefined || src === "") {
  notMeasured("MBEDTLS_SRC not set (an mbedtls 2.28/3.6 source tree, e.g. Debian's mbedtls_2.28.3.orig.tar.gz unpacked)");
} else if (!existsSync(join(src, "include", "mbedtls", "version.h"))) {
  notMeasured(`MBEDTLS_SRC=${src} is not an mbedtls source tree`);
} else {
  let out = "";
  try {
    out = execFileSync("sh", [script, src], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 16 << 20 });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    notMeasured(`bench/size/rv32imc.sh failed: ${stderr.split("\n").slice(-2).join(" | ")}`);
  }
  for (const line of out.split("\n")) {
    if (line.startsWith("SIZE ")) {
      const r = JSON.parse(line.slice(5)) as { name: string; text: number; rodata: number; data: number; bss: number };
      row(SECTION, { name: r.name, text: r.text, rodata: r.rodata, data: r.data, bss: r.bss, flash: r.text + r.rodata + r.data });
    } else if (line.startsWith("SIZEPART ")) {
      const r = JSON.parse(line.slice(9)) as { name: string; part: string; text: number; rodata: number };
      row(PARTS, { name: r.name, part: r.part, text: r.text, rodata: r.rodata });
    }
  }
}
