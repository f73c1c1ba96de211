#!/usr/bin/env node
// Compiles the TypeScript tree to build/ (after set-up, which it runs when needed).
import { existsSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { root, say, run, bin, listFiles } from "./lib.mjs";
import { setupAll } from "./setup.mjs";

/** Removes outputs whose source is gone, so test discovery never runs a deleted suite. */
function pruneStale() {
  const out = join(root, "build");
  for (const file of listFiles(out, (p) => /\.(js|d\.ts)$/.test(p))) {
    const source = join(root, relative(out, file)).replace(/(\.d)?\.ts$|\.js$/, ".ts");
    if (!existsSync(source)) rmSync(file);
  }
}

export function buildTs({ quiet = false } = {}) {
  if (!quiet) say("compiling TypeScript (tsc -p tsconfig.node.json, then the device glue with tsconfig.moddable.json)");
  run(bin("tsc"), ["-p", "tsconfig.node.json"]);
  run(bin("tsc"), ["-p", "tsconfig.moddable.json"]);
  pruneStale();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    setupAll();
    buildTs();
  } catch (error) {
    say(`build failed: ${error.message}`);
    process.exit(1);
  }
}
