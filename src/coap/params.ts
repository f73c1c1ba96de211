/**
 * RFC 7252 §4.8 transmission parameters, configurable, with the derived times of §4.8.2.
 *
 * @example
 * ```ts
 * const p = transmissionParams({ ackTimeoutMs: 500 });
 * maxTransmitWait(p); // 23250
 * ```
 */
import { ArgumentError } from "../errors.js";

export interface TransmissionParams {
  /** ACK_TIMEOUT, default 2000 ms. */
  readonly ackTimeoutMs: number;
  /** ACK_RANDOM_FACTOR, default 1.5 (>= 1). */
  readonly ackRandomFactor: number;
  /** MAX_RETRANSMIT, default 4. */
  readonly maxRetransmit: number;
  /** NSTART: outstanding requests per peer, default 1. */
  readonly nstart: number;
  /** How long to wait for a separate or NON response, default MAX_TRANSMIT_WAIT. */
  readonly responseTimeoutMs: number;
  /** EXCHANGE_LIFETIME: how long an incoming MID is remembered for deduplication, default 247 s. */
  readonly exchangeLifetimeMs: number;
}

export const DEFAULT_TRANSMISSION_PARAMS: TransmissionParams = {
  ackTimeoutMs: 2000,
  ackRandomFactor: 1.5,
  maxRetransmit: 4,
  nstart: 1,
  responseTimeoutMs: 93_000,
  exchangeLifetimeMs: 247_000,
};

/** §4.8.2 MAX_TRANSMIT_SPAN: first to last transmission of a CON. */
export function maxTransmitSpan(p: TransmissionParams): number {
  return p.ackTimeoutMs * (2 ** p.maxRetransmit - 1) * p.ackRandomFactor;
}

/** §4.8.2 MAX_TRANSMIT_WAIT: first transmission to giving up on an ACK. */
export function maxTransmitWait(p: TransmissionParams): number {
  return p.ackTimeoutMs * (2 ** (p.maxRetransmit + 1) - 1) * p.ackRandomFactor;
}

/** Defaults overridden by `partial`; responseTimeoutMs follows MAX_TRANSMIT_WAIT unless given. */
export function transmissionParams(partial?: Partial<TransmissionParams>): TransmissionParams {
  const merged = { ...DEFAULT_TRANSMISSION_PARAMS, ...partial };
  const p: TransmissionParams =
    partial?.responseTimeoutMs === undefined ? { ...merged, responseTimeoutMs: maxTransmitWait(merged) } : merged;
  if (
    !(p.ackTimeoutMs > 0) ||
    !(p.ackRandomFactor >= 1) ||
    !Number.isInteger(p.maxRetransmit) ||
    p.maxRetransmit < 0 ||
    p.maxRetransmit > 20 ||
    !Number.isInteger(p.nstart) ||
    p.nstart < 1 ||
    !(p.responseTimeoutMs > 0) ||
    !(p.exchangeLifetimeMs >= 0)
  ) {
    throw new ArgumentError("coap.bad_params", "invalid CoAP transmission parameters");
  }
  return p;
}
