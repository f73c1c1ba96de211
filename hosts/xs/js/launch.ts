/**
 * Starts a Moddable app on the XS test host as a device does: `idpgate-xs [options]
 * [--module mc/config=config.json] build/hosts/xs/js/launch.js [--no-arm] <main.js>`.
 *
 * Imports the app's main module, calls its default export when it is a function (Moddable calls `main`'s
 * default export at start), then collects garbage and arms the memory limits (what start-up left live counts
 * as "in flash", see ../README.md) and prints one line `xs-launch: {...memory}`. The app then runs from the
 * event loop (timers, UDP) until it closes its sockets and timers or the process is stopped.
 */
import { armMemoryLimits, args, exit, gc, memory, print, xsHost } from "./host.js";

async function launch(): Promise<void> {
  const list = args();
  let arm = true;
  let path: string | undefined;
  for (const a of list) {
    if (a === "--no-arm") arm = false;
    else if (path === undefined) path = a;
  }
  if (path === undefined) {
    print("usage: idpgate-xs [options] launch.js [--no-arm] <main.js>");
    exit(2);
  }
  const specifier = path.startsWith("/") ? path : `${xsHost().cwd}/${path.startsWith("./") ? path.slice(2) : path}`;
  const m = (await import(specifier)) as { default?: unknown };
  if (typeof m.default === "function") (m.default as () => unknown)();
  gc();
  if (arm) armMemoryLimits();
  print(`xs-launch: ${JSON.stringify(memory())}`);
}

await launch();
