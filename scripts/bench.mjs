#!/usr/bin/env node
// `npm run bench`: runs every benchmark (bench/xs/*.bench.ts on the XS test host, bench/node/*.bench.ts on
// Node), collects their `BENCH {json}` lines and writes bench/report.md, one table per section.
// Usage: node scripts/bench.mjs [substring ...]
// With substrings, only the matching benchmarks run and only their sections are replaced: the report's other
// sections stay as they were. The hand-written part at the end (from NOTES_HEADING on) is always kept.
import { mbedtlsSource } from "./mbedtls-source.mjs";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { cpus } from "node:os";
import { root, say, capture, listFiles } from "./lib.mjs";
import { setupAll, setupBenchDebian } from "./setup.mjs";
import { buildTs } from "./build.mjs";

const XS_HOST = join(root, "hosts", "xs", "out", "idpgate-xs");
const REPORT = join(root, "bench", "report.md");
const NOTES_HEADING = "## Notes (kept by npm run bench)";

/** The existing report's tables by section ("## name" to the next heading), and its notes. */
function previousReport() {
  const text = existsSync(REPORT) ? readFileSync(REPORT, "utf8") : "";
  const at = text.indexOf(NOTES_HEADING);
  const notes = at < 0 ? "" : text.slice(at);
  const sections = new Map();
  for (const part of (at < 0 ? text : text.slice(0, at)).split(/^(?=## )/m).slice(1)) {
    sections.set(part.slice(3, part.indexOf("\n")), part.trimEnd());
  }
  return { sections, notes };
}
const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const selected = (path) => filters.length === 0 || filters.some((f) => path.includes(f));
/** A device row is asked for but the native heap bench it reads is not built yet (a fresh checkout). */
const needsHeapBench = () =>
  selected("bench/node/device.bench.js") && !existsSync(join(root, "build", "dtls-test", "dtls_heapbench_device_32"));

function parseRows(stdout, source) {
  const rows = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("BENCH ")) continue;
    try {
      rows.push({ ...JSON.parse(line.slice(6)), source });
    } catch {
      throw new Error(`${source} printed a BENCH line that is not JSON: ${line}`);
    }
  }
  return rows;
}

function table(rows) {
  const columns = [];
  for (const row of rows)
    for (const key of Object.keys(row)) if (key !== "section" && key !== "source" && !columns.includes(key)) columns.push(key);
  const cell = (v) => (v === undefined ? "" : typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v));
  const out = [`| ${columns.join(" | ")} |`, `|${columns.map(() => "---").join("|")}|`];
  for (const row of rows) out.push(`| ${columns.map((c) => cell(row[c])).join(" | ")} |`);
  return out.join("\n");
}

async function main() {
  setupAll();
  buildTs({ quiet: true });
  // The device-configuration rows (mbedtls heap at 32-bit, rv32imc sizes) need those compilers and an mbedtls
  // source tree; without them the benches print "not measured" rows and say why.
  try {
    setupBenchDebian();
  } catch (error) {
    say(`benchmark packages: not installed (${error.message})`);
  }
  const mbedtls = mbedtlsSource();
  if (mbedtls !== undefined) process.env.MBEDTLS_SRC = mbedtls;
  const benches = [
    ...listFiles(join(root, "build", "bench", "xs"), (p) => p.endsWith(".bench.js")).map((f) => ({ f, host: "xs" })),
    // hosts/moddable on the XS test host (compiled by tsconfig.moddable.json)
    ...listFiles(join(root, "build", "bench", "moddable"), (p) => p.endsWith(".bench.js")).map((f) => ({ f, host: "xs" })),
    ...listFiles(join(root, "build", "bench", "node"), (p) => p.endsWith(".bench.js"))
      // device.bench reads the 32-bit mbedtls heap bench that dtls-heap.bench builds: build it first
      .sort((a, b) => Number(b.endsWith("dtls-heap.bench.js")) - Number(a.endsWith("dtls-heap.bench.js")))
      .map((f) => ({ f, host: "node" })),
  ].filter((b) => selected(b.f) || (b.f.endsWith("dtls-heap.bench.js") && needsHeapBench()));
  const rows = [];
  let failures = 0;
  for (const { f, host } of benches) {
    const source = relative(join(root, "build"), f).replace(/\.js$/, ".ts");
    say(`bench ${source} (${host})`);
    const result =
      host === "xs"
        ? await capture(XS_HOST, ["--stack", "1024", f], { timeoutMs: 600_000 })
        : await capture(process.execPath, [f], { timeoutMs: 600_000 });
    if (result.code !== 0) {
      failures++;
      say(`  FAILED (exit ${result.code}): ${result.stderr.trim().split("\n").slice(-5).join(" | ")}`);
      continue;
    }
    const found = parseRows(result.stdout, source);
    for (const r of found) say(`  ${r.section} / ${r.name}`);
    rows.push(...found);
  }
  const sections = [];
  for (const r of rows) if (!sections.includes(r.section)) sections.push(r.section);
  const previous = previousReport();
  const parts = [
    "# idpgate benchmark report",
    "",
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"}.`,
    "XS rows: computrons (XS's deterministic instruction meter) and heap slots / chunk bytes on the XS test host",
    "(the real XS 13 engine from @agoric/xsnap). Node rows: wall-clock figures from this machine, for ratios only.",
    "",
  ];
  // A partial run replaces its own sections in place and keeps the others; new sections go at the end.
  const order = filters.length === 0 ? sections : [...previous.sections.keys(), ...sections.filter((s) => !previous.sections.has(s))];
  for (const s of order) {
    const sectionRows = rows.filter((r) => r.section === s);
    if (sectionRows.length === 0) {
      parts.push(previous.sections.get(s), "");
      continue;
    }
    parts.push(
      `## ${s}`,
      "",
      table(sectionRows),
      "",
      `Source: ${[...new Set(sectionRows.map((r) => r.source))].map((x) => `\`${x}\``).join(", ")}`,
      "",
    );
  }
  if (previous.notes !== "") parts.push(previous.notes.trimEnd(), "");
  writeFileSync(REPORT, parts.join("\n"));
  say(`wrote bench/report.md (${rows.length} rows, ${failures} failed benchmarks)`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    say(`bench failed: ${error.message}`);
    process.exit(1);
  },
);
