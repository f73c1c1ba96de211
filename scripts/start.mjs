#!/usr/bin/env node
// `npm start`: the main job. Set-up and build when needed, then the demo: the local identity provider
// and a device (examples/gate, on the XS test host by default, or `--host node`) verifying commands.
// Usage: npm start [-- --host xs|node]
import { existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { root, say } from "./lib.mjs";
import { setupAll } from "./setup.mjs";
import { buildTs } from "./build.mjs";

try {
  setupAll();
  buildTs({ quiet: true });
} catch (error) {
  say(`set-up failed: ${error.message}`);
  process.exit(1);
}
const demo = join(root, "build", "hosts", "node", "demo", "main.js");
if (!existsSync(demo)) {
  say("the demo is missing from build/ (hosts/node/demo/main.ts)");
  process.exit(1);
}
const result = spawnSync(process.execPath, [demo, ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
