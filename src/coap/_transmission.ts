/**
 * One outgoing request message and its reliability (RFC 7252 §4.2, §4.3, §5.2).
 *
 * States (each owns only its data):
 *   awaiting-ack       CON sent; retransmit at `nextAt` with a doubling interval, at most MAX_RETRANSMIT
 *                      times; then wait one more interval and give up.
 *   awaiting-response  empty ACK received (separate response coming) or NON sent: wait until `nextAt`
 *                      (responseTimeoutMs), then give up.
 *   closed             the response arrived, or the exchange failed.
 *
 * Events: onTimeout(now) -> "retransmit" | "give-up" | "none"; onEmptyAck(now); close().
 */
import type { Endpoint } from "../ports.js";
import type { TransmissionParams } from "./params.js";

export type TransmissionState = "awaiting-ack" | "awaiting-response" | "closed";

export class Transmission {
  state: TransmissionState;
  retransmits = 0;
  interval: number;
  nextAt: number;

  constructor(
    readonly messageId: number,
    readonly token: Uint8Array,
    readonly tokenKey: string,
    readonly bytes: Uint8Array,
    readonly peer: Endpoint,
    readonly confirmable: boolean,
    readonly params: TransmissionParams,
    /** In [0, 1): where in [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR] the first timeout falls. */
    random: number,
    now: number,
  ) {
    // §4.2: initial timeout random in [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR].
    this.interval = params.ackTimeoutMs * (1 + random * (params.ackRandomFactor - 1));
    if (confirmable) {
      this.state = "awaiting-ack";
      this.nextAt = now + this.interval;
    } else {
      this.state = "awaiting-response";
      this.nextAt = now + params.responseTimeoutMs;
    }
  }

  onTimeout(now: number): "retransmit" | "give-up" | "none" {
    if (this.state === "closed" || now < this.nextAt) return "none";
    if (this.state === "awaiting-ack" && this.retransmits < this.params.maxRetransmit) {
      this.retransmits++;
      this.interval *= 2;
      this.nextAt = now + this.interval;
      return "retransmit";
    }
    this.state = "closed";
    return "give-up";
  }

  /** §5.2.2: an empty ACK stops retransmission; the response comes separately. */
  onEmptyAck(now: number): void {
    if (this.state !== "awaiting-ack") return;
    this.state = "awaiting-response";
    this.nextAt = now + this.params.responseTimeoutMs;
  }

  close(): void {
    this.state = "closed";
  }
}
