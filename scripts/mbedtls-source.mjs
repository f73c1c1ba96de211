// The mbedtls source tree the benches build with the device configuration (bench/node/dtls-heap.bench.ts,
// bench/node/code-size.bench.ts): MBEDTLS_SRC when set; otherwise Debian's own source package, obtained
// once with `apt-get source mbedtls` into ~/.cache/idpgate/mbedtls-debian (outside the checkout). Debian's
// archive serves sources once a deb-src entry exists: this adds one (idpgate-deb-src.sources, a copy of
// the system's debian.sources with Types: deb-src) when there is none; dpkg-dev comes with the benchmark
// packages (scripts/setup.mjs). Needs root or sudo; without them it says why and the benches print their
// "not measured" rows.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { say } from "./lib.mjs";
import { asRoot } from "./setup.mjs";

const CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "idpgate", "mbedtls-debian");
const SYSTEM_SOURCES = "/etc/apt/sources.list.d/debian.sources";
const OUR_SOURCES = "/etc/apt/sources.list.d/idpgate-deb-src.sources";

function isTree(dir) {
  return existsSync(join(dir, "include", "mbedtls", "ssl.h")) && existsSync(join(dir, "library"));
}

function unpacked() {
  if (!existsSync(CACHE)) return undefined;
  const dir = readdirSync(CACHE)
    .filter((d) => /^mbedtls-\d/.test(d))
    .map((d) => join(CACHE, d))
    .find(isTree);
  return dir;
}

function hasDebSrc() {
  const files = ["/etc/apt/sources.list", ...listDir("/etc/apt/sources.list.d").map((f) => join("/etc/apt/sources.list.d", f))];
  return files.some((f) => existsSync(f) && /^(deb-src\s|Types:.*\bdeb-src\b)/m.test(readFileSync(f, "utf8")));
}

function listDir(dir) {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".list") || f.endsWith(".sources"));
  } catch {
    return [];
  }
}

/** Resolves the tree for MBEDTLS_SRC, or returns undefined after saying why there is none. */
export function mbedtlsSource() {
  if (process.env.MBEDTLS_SRC) return process.env.MBEDTLS_SRC;
  const cached = unpacked();
  if (cached !== undefined) {
    say(`mbedtls source: ${cached} (Debian's source package, unpacked earlier)`);
    return cached;
  }
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    if (!hasDebSrc()) {
      if (!existsSync(SYSTEM_SOURCES)) throw new Error(`${SYSTEM_SOURCES} is missing: add a deb-src line by hand`);
      say(`mbedtls source: enabling Debian source packages (${OUR_SOURCES})`);
      const text = readFileSync(SYSTEM_SOURCES, "utf8").replace(/^Types:\s*deb\s*$/gm, "Types: deb-src");
      const tmp = join(homedir(), ".idpgate-deb-src.sources");
      writeFileSync(tmp, text);
      asRoot("cp", [tmp, OUR_SOURCES]);
      rmSync(tmp);
      asRoot("apt-get", ["update", "-qq"]);
    }
    mkdirSync(CACHE, { recursive: true });
    say(`mbedtls source: apt-get source mbedtls into ${CACHE}`);
    execFileSync("apt-get", ["source", "-qq", "mbedtls"], { cwd: CACHE, env, stdio: ["ignore", "inherit", "inherit"] });
  } catch (error) {
    say(`mbedtls source: not obtained (${error.message}); set MBEDTLS_SRC to an mbedtls 2.28/3.6 tree`);
    return undefined;
  }
  const tree = unpacked();
  if (tree === undefined) say(`mbedtls source: apt-get source left no mbedtls tree in ${CACHE}`);
  return tree;
}
