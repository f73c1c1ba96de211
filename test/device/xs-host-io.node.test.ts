// The Moddable host modules of the XS test host (Node only, runs the host on small JS programs):
// `embedded:io/socket/udp`, `timer`, `time` by their bare specifiers, `--module SPEC=FILE.json`, and the
// event loop that waits on sockets and timers. Needs hosts/xs/out/idpgate-xs and build/.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { freePort, XS_HOST } from "../../hosts/node/demo/stack.js";

const dir = mkdtempSync(join(tmpdir(), "idpgate-xs-io-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(source: string, options: readonly string[] = []): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(XS_HOST)) throw new Error(`missing ${XS_HOST}: build it with make -C hosts/xs -j2`);
  const file = join(dir, `p${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(file, source);
  const r = spawnSync(XS_HOST, [...options, file], { encoding: "utf8", timeout: 20_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("UDP: datagrams with address and port, onReadable(count) with this = the socket, read() undefined when empty, close twice", async () => {
  const port = await freePort();
  const r = run(`
    import UDP from "embedded:io/socket/udp";
    const b = new UDP({ port: 0, onReadable(count) {
      const p = this.read();
      print("b", count, p.byteLength, new Uint8Array(p)[0], p.address, typeof p.port);
      this.write(p, p.address, p.port);
    }});
    const a = new UDP({ onReadable(count) {
      const p = this.read();
      print("a", count, new Uint8Array(p)[0], this.read() === undefined);
      a.close(); a.close(); b.close();
      try { a.write(new Uint8Array(1), "127.0.0.1", 9); } catch (e) { print("closed write throws"); }
    }});
    // the port b got: not in Moddable's API, so find it by sending to ourselves from a socket bound to a known port
    const probe = new UDP({ port: 0 });
    try { probe.write(new Uint8Array(1), "not an address", 9); } catch (e) { print("bad address", e instanceof RangeError); }
    probe.close();
    const fixed = new UDP({ port: ${port}, onReadable() { const p = this.read(); print("fixed", p.byteLength); this.write(new Uint8Array([7]), p.address, p.port); fixed.close(); } });
    a.write(new Uint8Array([42, 1, 2]), "127.0.0.1", ${port});
    b.close();
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /bad address true/);
  assert.match(r.stdout, /fixed 3/);
  assert.match(r.stdout, /a 1 7 true/);
  assert.match(r.stdout, /closed write throws/);
});

test("UDP: the receive queue is bounded (64); the rest is dropped and counted", async () => {
  const port = await freePort();
  const r = run(`
    import UDP from "embedded:io/socket/udp";
    let first = true;
    const rx = new UDP({ port: ${port}, onReadable(count) {
      if (!first) return;
      first = false;
      const s = this.stats();
      print("queued", count, s.queued, s.dropped);
      rx.close(); tx.close();
    }});
    const tx = new UDP({});
    for (let i = 0; i < 100; i++) tx.write(new Uint8Array(8), "127.0.0.1", ${port});
  `);
  assert.equal(r.status, 0, r.stderr);
  const m = /queued (\d+) (\d+) (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(Number(m[1]), 64);
  assert.equal(Number(m[2]), 64);
  assert.equal(Number(m[3]), 36);
});

test("timer and time: set, repeat, schedule, clear; callback gets the timer; Time.ticks is monotonic", () => {
  const r = run(`
    import Timer from "timer";
    import Time from "time";
    const t0 = Time.ticks;
    const order = [];
    const once = Timer.set((t) => { order.push("once"); print("arg is timer", t === once); }, 30);
    let n = 0;
    Timer.repeat((t) => { order.push("r" + (++n)); if (n === 3) Timer.clear(t); }, 10);
    const cleared = Timer.set(() => order.push("never"), 5);
    Timer.clear(cleared); Timer.clear(cleared); Timer.clear(undefined);
    const again = Timer.set(() => order.push("again"), 1);
    Timer.set(() => Timer.schedule(again, 5), 40);
    const started = Time.ticks;
    Timer.repeat((t) => {
      if (order.length < 6 && Time.ticks - started < 5000) return;
      Timer.clear(t);
      print(order.slice().sort().join(","));
      print("elapsed", Time.delta(t0) >= 45, Time.ticks >= t0);
    }, 20);
    Timer.delay(1);
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /arg is timer true/);
  assert.match(r.stdout, /^again,again,once,r1,r2,r3$/m, "each timer fired as often as it should, the cleared one never");
  assert.match(r.stdout, /elapsed true true/);
});

test("--module maps a bare specifier (mc/config) to a JSON file, imported as its default export", () => {
  const config = join(dir, "config.json");
  writeFileSync(config, JSON.stringify({ idpUrl: "coaps://127.0.0.1:5684", gatePort: 5684, nested: { a: [1, 2] } }));
  const r = run(`import config from "mc/config"; print(config.idpUrl, config.gatePort, config.nested.a[1]);`, [
    "--module",
    `mc/config=${config}`,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "coaps://127.0.0.1:5684 5684 2");
  const missing = run(`import config from "mc/config"; print(config);`);
  assert.notEqual(missing.status, 0, "unmapped bare specifiers are not found");
});
