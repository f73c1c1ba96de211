/**
 * DTLS heap and handshake-traffic benchmark: builds and runs modules/dtls/test/dtls_heapbench (C, mbedtls linked
 * statically with calloc/malloc/free wrapped at link time) and forwards its BENCH rows: heap peak during a client
 * PSK-CCM8 handshake and heap held once connected (full and resumed), the server's per-peer heap, an
 * ECDHE-ECDSA-CCM8 client handshake (P-256), and flights/bytes full vs resumed.
 *
 * Always: Debian's mbedtls (2.28, default config, 16 KB record buffers). The device figures (the configuration
 * in modules/dtls/config/mbedtls_device_config.h) need an mbedtls 2.28 or 3.6 source tree in the environment
 * variable MBEDTLS_SRC: it is copied to build/dtls-test/mbedtls-device/ (the tree itself is not touched),
 * built there with the device config (again only when the config or the tree changes), and the driver is
 * linked against it as build/dtls-test/dtls_heapbench_device (also read by device.bench.ts); the same again
 * with cc -m32 (gcc-multilib) into build/dtls-test/mbedtls-device32 and dtls_heapbench_device_32: 4-byte
 * pointers and size_t as on ESP32, the rows to compare with the device goal. Without MBEDTLS_SRC one row
 * says the device figures were not measured.
 *
 *   MBEDTLS_SRC=/path/to/mbedtls-2.28.3 node build/bench/node/dtls-heap.bench.js
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const TEST = resolve(ROOT, "modules/dtls/test");
const CONFIG_DIR = resolve(ROOT, "modules/dtls/config");
const OUT = resolve(ROOT, "build/dtls-test");
/** The device config and the headers it includes: a change to any of them rebuilds the device trees. */
const DEVICE_CONFIG_FILES = ["mbedtls_device_config.h", "dtls_record_buffers.h", "ecc_device_windows.h"];

function forward(bin: string): void {
  const out = execFileSync(bin, { encoding: "utf8" });
  for (const line of out.split("\n")) if (line.startsWith("BENCH ")) console.log(line);
}

function notMeasured(reason: string): void {
  console.log(`BENCH ${JSON.stringify({ section: "DTLS", name: "device config heap: not measured", reason })}`);
}

/* Debian's mbedtls */
const debian = join(OUT, "dtls_heapbench");
execFileSync("make", ["-C", TEST, debian], { stdio: "pipe" });
forward(debian);

/* Copies MBEDTLS_SRC to `tree` and builds it there with the device config (only when the config, the tree or
 * the compiler changed); then links the drivers against it. */
function buildDevice(src: string, tree: string, cc: string, target: string): void {
  const stampFile = join(tree, ".idpgate-device-config");
  const stamp = createHash("sha256")
    .update(resolve(src))
    .update(cc)
    .update(readFileSync(join(src, "include", "mbedtls", "version.h")))
    .update(DEVICE_CONFIG_FILES.map((f) => readFileSync(join(CONFIG_DIR, f))).join("\n"))
    .digest("hex");
  if (!existsSync(stampFile) || readFileSync(stampFile, "utf8") !== stamp) {
    rmSync(tree, { recursive: true, force: true });
    cpSync(src, tree, { recursive: true });
    const cflags = `-O2 -I${CONFIG_DIR} -DMBEDTLS_USER_CONFIG_FILE='"mbedtls_device_config.h"'`;
    execFileSync("find", [tree, "(", "-name", "*.o", "-o", "-name", "libmbed*.a", ")", "-delete"], {
      stdio: "pipe",
    }); /* objects of another config */
    execFileSync(
      "make",
      ["-C", join(tree, "library"), `CC=${cc}`, `CFLAGS=${cflags}`, "libmbedcrypto.a", "libmbedx509.a", "libmbedtls.a"],
      { stdio: "pipe", maxBuffer: 64 << 20 },
    );
    writeFileSync(stampFile, stamp);
  }
  execFileSync("make", ["-C", TEST, target, `MBEDTLS_DIR=${tree}`], { stdio: "pipe", maxBuffer: 16 << 20 });
}

function failure(error: unknown): string {
  const stderr = String((error as { stderr?: unknown }).stderr ?? error).trim();
  return stderr.split("\n").slice(-2).join(" | ");
}

/* the device configuration, from MBEDTLS_SRC: on this host (64-bit) and built with gcc -m32, where pointers
 * and size_t are 4 bytes as on ESP32, so the second set of rows is the device's heap */
const src = process.env["MBEDTLS_SRC"];
if (src === undefined || src === "") {
  notMeasured("MBEDTLS_SRC not set (an mbedtls 2.28/3.6 source tree, e.g. Debian's mbedtls_2.28.3.orig.tar.gz unpacked)");
} else if (!existsSync(join(src, "include", "mbedtls", "version.h")) || !existsSync(join(src, "library"))) {
  notMeasured(`MBEDTLS_SRC=${src} is not an mbedtls source tree`);
} else {
  try {
    buildDevice(src, join(OUT, "mbedtls-device"), "cc", "device");
    forward(join(OUT, "dtls_heapbench_device"));
  } catch (error) {
    notMeasured(`device build failed: ${failure(error)}`);
  }
  try {
    execFileSync("sh", ["-c", "echo 'int main(void){return 0;}' | cc -m32 -x c - -o /dev/null"], { stdio: "pipe" });
  } catch {
    notMeasured("32-bit device figures: cc -m32 cannot link (install gcc-multilib)");
  }
  try {
    buildDevice(src, join(OUT, "mbedtls-device32"), "cc -m32", "device32");
    forward(join(OUT, "dtls_heapbench_device_32"));
  } catch (error) {
    notMeasured(`32-bit device build failed: ${failure(error)}`);
  }
}
