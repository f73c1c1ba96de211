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

/**
 * No `async` and no top-level await: the main module's body runs inside `import()`, so every async frame
 * below it (~30 slots each) would count against the app's stack, which a device does not have (Moddable
 * evaluates main from C). The default export is called from a promise job, at the bottom of the stack.
 */
function launch(): void {
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
  import(specifier).then(
    (m: { default?: unknown }) => {
      if (typeof m.default === "function") (m.default as () => unknown)();
      gc();
      if (arm) armMemoryLimits();
      print(`xs-launch: ${JSON.stringify(memory())}`);
    },
    (error: unknown) => {
      // The host would exit 0 on a failed import; say why (names and messages only) and exit 1.
      const e = error as { name?: unknown; code?: unknown; message?: unknown };
      print(`xs-launch: ${String(specifier)} failed: ${String(e.name)} ${String(e.code ?? "")} ${String(e.message)}`);
      exit(1);
    },
  );
}

launch();
