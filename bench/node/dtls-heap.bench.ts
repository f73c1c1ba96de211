/**
 * DTLS heap and handshake-traffic benchmark: builds and runs modules/dtls/test/dtls_heapbench (C, Debian's
 * static mbedtls with calloc/malloc/free wrapped at link time) and forwards its BENCH rows: heap peak during a
 * client PSK-CCM8 handshake, heap held per established client session, and flights/bytes full vs resumed.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const bin = resolve(ROOT, "build/dtls-test/dtls_heapbench");
execFileSync("make", ["-C", resolve(ROOT, "modules/dtls/test"), bin], { stdio: "pipe" });
const out = execFileSync(bin, { encoding: "utf8" });
for (const line of out.split("\n")) if (line.startsWith("BENCH ")) console.log(line);
