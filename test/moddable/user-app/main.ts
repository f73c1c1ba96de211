/**
 * The user app of test/moddable/simulator.node.test.ts: asks README's device block (`use`, written from
 * README.md by the suite) about each token named in the config and prints one `IDPGATE-SIM user-app
 * {...}` line with the decisions (never the tokens), then `IDPGATE-SIM done`.
 */
import config from "mc/config";
import { allowed } from "use";

const NAMES = ["valid", "unknown", "wrongScope"] as const;

async function run(): Promise<void> {
  const out: Record<string, boolean> = {};
  for (const name of NAMES) out[name] = await allowed(String(config[`token_${name}`]));
  trace(`IDPGATE-SIM user-app ${JSON.stringify(out)}\n`);
  trace("IDPGATE-SIM done\n");
}

run().catch((e: unknown) => {
  const x = e as { code?: unknown; message?: unknown };
  trace(`IDPGATE-SIM error ${String(x.code)} ${String(x.message)}\n`);
});
