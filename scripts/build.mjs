#!/usr/bin/env node
// Compiles the TypeScript tree to build/ (after set-up, which it runs when needed).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { root, say, run, bin } from "./lib.mjs";
import { setupAll } from "./setup.mjs";

export function buildTs({ quiet = false } = {}) {
  if (!quiet) say("compiling TypeScript (tsc -p tsconfig.node.json)");
  // A clean build: a stale .js whose .ts was deleted must not be picked up by test discovery.
  rmSync(join(root, "build"), { recursive: true, force: true });
  run(bin("tsc"), ["-p", "tsconfig.node.json"]);
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
