/**
 * The client engine's public types: options, requests, events and datagrams to send.
 */
import type { Endpoint, RandomSource } from "../ports.js";
import type { IdpgateError } from "../errors.js";
import type { OptionValue } from "./options.js";
import type { TransmissionParams } from "./params.js";
import type { CoapResponse } from "./response.js";

export interface EngineOptions {
  readonly random: RandomSource;
  readonly params?: Partial<TransmissionParams>;
  /** Token length 1..8, default 4. */
  readonly tokenLength?: number;
  readonly maxBodyBytes?: number;
  readonly maxMessageSize?: number;
  /** Per-peer queue bound beyond NSTART, default MAX_QUEUED_REQUESTS. */
  readonly maxQueued?: number;
  readonly dedupEntries?: number;
}

export interface EngineRequest {
  readonly peer: Endpoint;
  /** Method code (Method.GET, ...). */
  readonly code: number;
  readonly options?: readonly OptionValue[];
  readonly payload?: Uint8Array;
  /** Default true. */
  readonly confirmable?: boolean;
  /** Overall deadline for the request, from submission. */
  readonly timeoutMs?: number;
  /** Preferred block size, 16..1024. */
  readonly blockSize?: number;
  /** This request's body limit, below the engine's `maxBodyBytes` (e.g. an introspection answer's). */
  readonly maxBodyBytes?: number;
}

export type EngineEvent =
  | { readonly kind: "response"; readonly id: number; readonly response: CoapResponse }
  | { readonly kind: "error"; readonly id: number; readonly error: IdpgateError };

export interface Transmit {
  readonly datagram: Uint8Array;
  readonly to: Endpoint;
}
