/**
 * Starts Debian's libcoap example server (`coap-server-openssl`, package libcoap3-bin) on a free
 * loopback port for interop tests, and finds libcoap tools. Missing tools fail loudly.
 */
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Absolute path of a libcoap tool, or a thrown Error saying what to install. */
export function requireTool(name: string): string {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const p = join(dir, name);
    if (dir !== "" && existsSync(p)) return p;
  }
  throw new Error(`${name} not found on PATH: run \`npm run setup\` (Debian packages libcoap3-bin, openssl, valgrind); this test needs it`);
}

/** A UDP port that was free a moment ago (and whose successor was too, for libcoap's DTLS port). */
export async function freeUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const s = dgram.createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      s.once("error", reject);
      s.bind(0, "127.0.0.1", () => resolve(s.address().port));
    });
    s.close();
    if (port < 65000) {
      const t = dgram.createSocket("udp4");
      const ok = await new Promise<boolean>((resolve) => {
        t.once("error", () => resolve(false));
        t.bind(port + 1, "127.0.0.1", () => resolve(true));
      });
      t.close();
      if (ok) return port;
    }
  }
  throw new Error("no free UDP port pair on 127.0.0.1");
}

/** Sends a CoAP ping (empty CON) and waits for the RST, up to `timeoutMs`. */
export async function coapPing(port: number, timeoutMs: number): Promise<boolean> {
  const s = dgram.createSocket("udp4");
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      s.on("message", (m) => {
        if (m.length >= 4 && ((m[0]! >> 4) & 3) === 3) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      s.send(Uint8Array.of(0x40, 0x00, 0x12, 0x34), port, "127.0.0.1");
    });
  } finally {
    s.close();
  }
}

export interface LibcoapServer {
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything the server printed so far (with -v 7: one line per received PDU). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `coap-server-openssl -A 127.0.0.1 -p PORT -d 1000 -v 7 ...extra` and waits until it answers a ping. */
export async function startLibcoapServer(extra: readonly string[] = []): Promise<LibcoapServer> {
  const bin = requireTool("coap-server-openssl");
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeUdpPort();
    const child = spawn(bin, ["-A", "127.0.0.1", "-p", String(port), "-d", "1000", "-v", "7", ...extra], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => void (out += d.toString("latin1")));
    child.stderr?.on("data", (d: Buffer) => void (out += d.toString("latin1")));
    let exited = false;
    child.on("exit", () => void (exited = true));
    for (let i = 0; i < 40 && !exited; i++) {
      if (await coapPing(port, 100)) {
        return {
          port,
          process: child,
          log: () => out,
          stop: () =>
            new Promise<void>((resolve) => {
              if (exited) return resolve();
              child.once("exit", () => resolve());
              child.kill("SIGTERM");
            }),
        };
      }
    }
    child.kill("SIGKILL");
  }
  throw new Error("coap-server-openssl did not start (3 attempts)");
}
