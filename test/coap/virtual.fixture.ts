/**
 * Test support for the sans-IO engine: a deterministic RandomSource, a virtual server that decodes
 * what the engine sends and builds answers, and helpers to drain the engine's outputs.
 */
import { Prng } from "../harness/index.js";
import type { Endpoint, RandomSource } from "../../src/ports.js";
import {
  CoapClientEngine,
  decodeMessage,
  encodeMessageToBytes,
  type DecodedMessage,
  type EngineEvent,
  type EngineOptions,
  type MessageFields,
  type OptionValue,
} from "../../src/coap/index.js";

export const SERVER: Endpoint = { address: "192.0.2.1", port: 5683 };

/** A RandomSource from a seeded Prng; `constant` makes every byte that value (0 -> no jitter). */
export function seededRandom(seed: number, constant?: number): RandomSource {
  const rng = new Prng(seed);
  let counter = 0;
  return {
    fill(bytes: Uint8Array): void {
      for (let i = 0; i < bytes.length; i++) bytes[i] = constant ?? (rng.u32() ^ counter++) & 0xff;
    },
  };
}

export function newEngine(options: Partial<EngineOptions> = {}, seed = 1): CoapClientEngine {
  return new CoapClientEngine({ random: seededRandom(seed), ...options });
}

/** Every datagram the engine wants to send now, decoded. */
export function drain(engine: CoapClientEngine): DecodedMessage[] {
  const out: DecodedMessage[] = [];
  for (let t = engine.pollTransmit(); t !== undefined; t = engine.pollTransmit()) {
    const m = decodeMessage(t.datagram);
    if (m === null) throw new Error("engine sent a non-v1 datagram");
    out.push(m);
  }
  return out;
}

export function events(engine: CoapClientEngine): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (let e = engine.pollEvent(); e !== undefined; e = engine.pollEvent()) out.push(e);
  return out;
}

export function one<T>(items: readonly T[], what = "item"): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, got ${items.length}`);
  return items[0]!;
}

export function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Values of option `number` in a decoded message. */
export function optionValues(m: DecodedMessage, number: number): Uint8Array[] {
  return m.options.filter((o) => o.number === number).map((o) => m.bytes.slice(o.offset, o.offset + o.length));
}

export function uintValue(m: DecodedMessage, number: number): number | undefined {
  const v = optionValues(m, number)[0];
  if (v === undefined) return undefined;
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/** A piggybacked answer to request `m`. */
export function ack(m: DecodedMessage, code: number, options: readonly OptionValue[] = [], payload?: Uint8Array): Uint8Array {
  const f: MessageFields = {
    type: 2,
    code,
    messageId: m.messageId,
    token: m.token,
    options,
    ...(payload === undefined ? {} : { payload }),
  };
  return encodeMessageToBytes(f);
}

/** Delivers `bytes` from the server. */
export function deliver(engine: CoapClientEngine, bytes: Uint8Array, now: number, from: Endpoint = SERVER): void {
  engine.handleDatagram(bytes, from, now);
}
