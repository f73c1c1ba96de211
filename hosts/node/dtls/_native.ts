/**
 * Loads the N-API addon built from hosts/node/native (modules/dtls + Debian's mbedtls). Private: use index.ts.
 * Fails loudly, with the command to run, when the addon has not been built.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import type { DtlsBindingOptions, DtlsBindingServerOptions } from "../../../src/link/dtls-binding-options.js";

/** The addon reads the options both bindings share (src/link/dtls-binding-options.ts). */
export type NativeOptions = DtlsBindingOptions;

export interface NativeErrorInfo {
  code: string;
  fault: "peer" | "caller" | "environment" | "internal";
  alert: number;
  libError: number;
}

export interface NativeSession {
  start(now: number): void;
  feed(bytes: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  nextTimeout(): number;
  pollTransmit(): Buffer | null;
  read(): Buffer | null;
  /** The core's next event kind: 0 none, 2 connected, 3 data (read it), 4 closed. */
  pollEvent(): number;
  write(bytes: Uint8Array, now: number): void;
  close(now: number): void;
  state(): number;
  error(): NativeErrorInfo | null;
  maxPayload(): number;
  resumed(): boolean;
  cidInUse(): boolean;
  save(): Buffer;
  restore(bytes: Uint8Array): void;
  suite(): string | null;
  stats(): { txDatagrams: number; txBytes: number; dropped: number };
  free(): void;
}

export interface NativeServerEvent {
  kind: "transmit" | "connected" | "data" | "closed";
  peer: string;
  data?: Buffer;
  code?: string;
  fault?: NativeErrorInfo["fault"];
  alert?: number;
}

export interface NativeServer {
  feed(peer: string, bytes: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  nextTimeout(): number;
  poll(): NativeServerEvent | null;
  write(peer: string, bytes: Uint8Array, now: number): void;
  closePeer(peer: string, now: number): void;
  count(): number;
  free(): void;
}

export interface NativeAddon {
  Session: new (options: NativeOptions) => NativeSession;
  Server: new (options: DtlsBindingServerOptions) => NativeServer;
  errorCode(n: number): string;
}

/** Repository root, found from build/hosts/node/dtls/ or hosts/node/dtls/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(resolve(dir, "hosts/node/native/binding.gyp"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("idpgate: cannot find the repository root (hosts/node/native/binding.gyp)");
}

/** The path of the built addon. */
export const ADDON_PATH = resolve(repoRoot(), "hosts/node/native/build/Release/idpgate_dtls.node");

let cached: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  if (cached !== undefined) return cached;
  if (!existsSync(ADDON_PATH)) {
    throw new Error(`idpgate DTLS addon not built (${ADDON_PATH}): run \`npx node-gyp rebuild --directory hosts/node/native\``);
  }
  const require = createRequire(import.meta.url);
  cached = require(ADDON_PATH) as NativeAddon;
  return cached;
}
