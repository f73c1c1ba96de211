#!/usr/bin/env node
// Keeps src/manifest.json's `modules` and `preload` lists in step with src/: Moddable 8.2's preload
// wildcards match JavaScript modules only, so every TypeScript module is listed by name.
// --check also checks that the C lists name exactly the C files of modules/dtls: its Moddable manifest
// (modules/dtls/manifest.json, xs/ included) and the N-API addon's hosts/node/native/binding.gyp (the Makefiles
// of hosts/xs, modules/*/test and the scripts take modules/dtls/*.c by wildcard).
// And that the Moddable manifests of hosts/moddable and examples/gate map every TypeScript module of their
// directory: a module the app imports but its manifest does not name builds, then fails at run time on a device.
// Usage: node scripts/manifest.mjs [--check]   (--check: exit 1 and name the differences)
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { root, listFiles, say } from "./lib.mjs";

export function expectedManifest() {
  const path = join(root, "src", "manifest.json");
  const manifest = JSON.parse(readFileSync(path, "utf8"));
  const files = listFiles(join(root, "src"), (p) => p.endsWith(".ts") && !p.endsWith(".d.ts")).map((p) =>
    relative(root, p).replace(/\\/g, "/"),
  );
  const dirs = [...new Set(files.map((f) => dirname(f)))].sort();
  // Paths are relative to src/manifest.json; names keep the repository path (idpgate/src/...).
  const modules = Object.fromEntries(
    dirs.map((d) => [`idpgate/${d}/*`, `./${relative("src", d) === "" ? "" : `${relative("src", d)}/`}*`]),
  );
  const preload = files.map((f) => `idpgate/${f.slice(0, -3)}`);
  return { path, manifest, expected: { ...manifest, modules: { ...manifest.modules, ...modules }, preload } };
}

export function checkManifest() {
  const { manifest, expected } = expectedManifest();
  const have = new Set(manifest.preload ?? []);
  const want = new Set(expected.preload);
  const missing = [...want].filter((m) => !have.has(m));
  const stale = [...have].filter((m) => !want.has(m));
  const dirs = Object.keys(expected.modules).filter((k) => !(k in (manifest.modules ?? {})));
  return [
    ...missing.map((m) => `not preloaded: ${m}`),
    ...stale.map((m) => `preloaded but gone: ${m}`),
    ...dirs.map((d) => `no module mapping: ${d}`),
  ];
}

/** Differences between the C files of modules/dtls and the two lists that name them one by one. */
/** The directories whose Moddable manifest names its modules one by one, and the subdirectories it leaves out. */
const APP_MANIFESTS = [
  { dir: "hosts/moddable", skip: ["public"] }, // public/: named by the root manifest
  { dir: "examples/gate", skip: ["node"] }, // node/: the Node start-up
];

export function checkAppModules() {
  const problems = [];
  for (const { dir, skip } of APP_MANIFESTS) {
    const base = join(root, dir);
    const manifest = JSON.parse(readFileSync(join(base, "manifest.json"), "utf8"));
    const mapped = new Set();
    for (const value of Object.values(manifest.modules ?? {}))
      for (const v of Array.isArray(value) ? value : [value]) mapped.add(v.replace(/^\.\//, ""));
    const files = listFiles(base, (p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))
      .map((p) => relative(base, p).replace(/\\/g, "/").slice(0, -3))
      .filter((f) => !skip.some((s) => f.startsWith(`${s}/`)));
    for (const f of files) if (!mapped.has(f)) problems.push(`${dir}/manifest.json: ${f}.ts is not a module of the app`);
  }
  return problems;
}

export function checkCSources() {
  const dtls = join(root, "modules", "dtls");
  const core = listFiles(dtls, (p) => p.endsWith(".c") && dirname(p) === dtls).map((p) => relative(dtls, p).slice(0, -2));
  const xs = listFiles(join(dtls, "xs"), (p) => p.endsWith(".c")).map((p) => relative(dtls, p).replace(/\\/g, "/").slice(0, -2));
  const problems = [];
  const compare = (where, listed, want) => {
    for (const f of want) if (!listed.includes(f)) problems.push(`${where}: ${f}.c not listed`);
    for (const f of listed) if (!want.includes(f)) problems.push(`${where}: ${f}.c listed but not in modules/dtls`);
  };
  const manifest = JSON.parse(readFileSync(join(dtls, "manifest.json"), "utf8"));
  compare(
    "modules/dtls/manifest.json",
    (manifest.modules?.["*"] ?? []).map((m) => m.replace(/^\.\//, "")),
    [...core, ...xs],
  );
  const gyp = readFileSync(join(root, "hosts", "node", "native", "binding.gyp"), "utf8");
  const prefix = "../../../modules/dtls/";
  compare(
    "hosts/node/native/binding.gyp",
    [...gyp.matchAll(/"([^"]+)\.c"/g)]
      .map((m) => m[1])
      .filter((f) => f.startsWith(prefix))
      .map((f) => f.slice(prefix.length)),
    core,
  );
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes("--check")) {
    const problems = [...checkManifest().map((p) => `src/manifest.json: ${p}`), ...checkCSources(), ...checkAppModules()];
    for (const p of problems) say(p);
    process.exit(problems.length === 0 ? 0 : 1);
  }
  const { path, expected } = expectedManifest();
  // In the layout `npm run lint` checks (prettier packs short arrays on one line; JSON.stringify does not).
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(JSON.stringify(expected, null, 2), { ...options, filepath: path }));
  say("src/manifest.json: modules and preload lists rewritten from src/");
}
