#!/usr/bin/env node
// `npm test`: set-up when needed, compile, static checks, then every suite under node:test and every
// runtime-neutral suite under the XS test host. Ends with one line "N passed, N failed[, N skipped]".
// Usage: node scripts/test.mjs [substring ...]   (only suites whose path contains one of the substrings)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { root, say, run, capture, listFiles, bin } from "./lib.mjs";
import { setupAll } from "./setup.mjs";
import { buildTs } from "./build.mjs";

const XS_HOST = join(root, "hosts", "xs", "out", "idpgate-xs");
const XS_RUNNER = join(root, "build", "hosts", "xs", "js", "runner.js");
const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const selected = (path) => filters.length === 0 || filters.some((f) => path.includes(f));

const isSuite = (p) => p.endsWith(".test.js");
const isNodeOnly = (p) => p.endsWith(".node.test.js") || p.includes(`${join("build", "test", "node")}/`);
const isXsOnly = (p) => p.endsWith(".xs.test.js");

/** Static checks; each failure is reported and counted, and the suites still run. */
function staticChecks() {
  const checks = [
    ["runtime-neutral code without Node types (tsc -p tsconfig.json)", "tsc", ["-p", "tsconfig.json"]],
    ["lint (eslint)", "eslint", ["--max-warnings=0", "."]],
    ["format (prettier --check)", "prettier", ["--check", "--log-level=warn", "."]],
    [
      "manifest.json preloads every src/ module; the C lists name every modules/dtls C file (node scripts/manifest.mjs --check)",
      process.execPath,
      [join(root, "scripts", "manifest.mjs"), "--check"],
    ],
  ];
  let failed = 0;
  for (const [what, tool, args] of checks) {
    say(`check: ${what}`);
    try {
      run(tool.startsWith("/") ? tool : bin(tool), args);
    } catch {
      say(`check FAILED: ${what}`);
      failed++;
    }
  }
  return { passed: checks.length - failed, failed, skipped: 0 };
}

async function runNode(files) {
  if (files.length === 0) return { passed: 0, failed: 0, skipped: 0 };
  say(`node:test: ${files.length} suite files`);
  const dir = mkdtempSync(join(tmpdir(), "idpgate-test-"));
  const countsFile = join(dir, "counts.json");
  const result = await capture(
    process.execPath,
    [
      "--test",
      "--test-concurrency=2",
      "--test-timeout=180000",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      `--test-reporter=${join(root, "scripts", "count-reporter.mjs")}`,
      `--test-reporter-destination=${countsFile}`,
      ...files,
    ],
    { echo: true },
  );
  let counts;
  try {
    counts = JSON.parse(readFileSync(countsFile, "utf8"));
  } catch {
    counts = { passed: 0, failed: 1, skipped: 0 };
  }
  rmSync(dir, { recursive: true, force: true });
  if (result.code !== 0 && counts.failed === 0) counts.failed = 1; // the runner itself failed
  return counts;
}

async function runXsSuite(file) {
  const name = relative(join(root, "build"), file);
  const result = await capture(XS_HOST, [XS_RUNNER, file], { timeoutMs: 600_000 });
  const match = /^xs-summary: (\{.*\})$/m.exec(result.stdout);
  const counts = match ? JSON.parse(match[1]) : { passed: 0, failed: 0 };
  counts.skipped ??= 0;
  const clean = result.code === 0 && match && counts.failed === 0;
  if (!clean && counts.failed === 0) counts.failed = 1; // crashed, memory full or import failure
  const lines = result.stdout.split("\n").filter((l) => l.startsWith("not ok") || (!clean && l.trim() !== ""));
  process.stdout.write(`xs ${clean ? "ok    " : "FAILED"} ${name}: ${counts.passed} passed, ${counts.failed} failed\n`);
  for (const line of lines) process.stdout.write(`    ${line}\n`);
  if (!clean && result.stderr.trim() !== "") process.stdout.write(result.stderr.replace(/^/gm, "    ") + "\n");
  return counts;
}

async function runXs(files) {
  if (files.length === 0) return { passed: 0, failed: 0, skipped: 0 };
  say(`XS test host: ${files.length} suite files, ESP32-like memory limits`);
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const queue = [...files];
  const workers = Array.from({ length: Math.min(2, availableParallelism()) }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const c = await runXsSuite(file);
      totals.passed += c.passed;
      totals.failed += c.failed;
      totals.skipped += c.skipped;
    }
  });
  await Promise.all(workers);
  return totals;
}

function line(c) {
  return `${c.passed} passed, ${c.failed} failed${c.skipped > 0 ? `, ${c.skipped} skipped` : ""}`;
}

async function main() {
  setupAll();
  buildTs();
  const checks = staticChecks();
  const suites = listFiles(join(root, "build", "test"), isSuite).filter(selected);
  const node = await runNode(suites.filter((p) => !isXsOnly(p)));
  const xs = await runXs(suites.filter((p) => !isNodeOnly(p)));
  say(`checks: ${line(checks)}`);
  say(`node: ${line(node)}`);
  say(`xs:   ${line(xs)}`);
  const total = { passed: node.passed + xs.passed, failed: node.failed + xs.failed + checks.failed, skipped: node.skipped + xs.skipped };
  process.stdout.write(`${line(total)}\n`);
  return total.failed === 0 && total.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    say(`test run failed: ${error.message}`);
    process.stdout.write("0 passed, 1 failed\n");
    process.exit(1);
  },
);
