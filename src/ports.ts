/**
 * The ports a host provides. `src/` never reads a clock, opens a socket or sets a timer itself: the
 * sans-IO cores take `now` as an argument, and the host glue (hosts/node, hosts/moddable, hosts/xs)
 * drives them through these interfaces.
 *
 * Time is in milliseconds. The monotonic clock never goes backwards and has an arbitrary origin;
 * the wall clock is Unix time and may be unknown (a board before SNTP).
 */
export interface MonotonicClock {
  /** Milliseconds since an arbitrary origin; never decreases. */
  now(): number;
}

export interface WallClock {
  /** Milliseconds since the Unix epoch, or `undefined` while the clock is not synchronised. */
  now(): number | undefined;
}

export interface RandomSource {
  /** Fills `bytes` from a cryptographically secure generator. */
  fill(bytes: Uint8Array): void;
}

export interface TimerHandle {
  cancel(): void;
}

export interface Timers {
  /** Calls `callback` once, `delayMs` from now on the monotonic clock. */
  schedule(delayMs: number, callback: () => void): TimerHandle;
}

/** Where a datagram came from or goes to: a numeric IP address (v4 dotted or v6) and a port. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** A datagram link: UDP, or DTLS over UDP, as the CoAP engine sees it. */
export interface DatagramLink {
  /** Largest datagram payload the link carries without fragmentation. */
  readonly maxDatagramSize: number;
  /**
   * Sends `datagram` to `to`. The link is done with the bytes when send returns: it sends them, or copies
   * what it keeps (a queue while connecting, a socket that sends later), before returning, and never reads
   * `datagram` again. The caller may write the buffer at once: the CoAP server engine writes its next reply
   * into the same one (issue 13: nothing allocated per datagram). test/link/send-contract.fixture.ts checks
   * a link for it: idpgate's UDP links (Node copies: dgram may send after a DNS step or a bind), the DTLS
   * links (mbedtls encrypts into its own record), the reconnecting link's queue (a copy).
   */
  send(datagram: Uint8Array, to: Endpoint): void;
  /** Registers the single receiver; `data` is valid only during the call. */
  onDatagram(receiver: (data: Uint8Array, from: Endpoint) => void): void;
  /** Registers the receiver of link failures (DTLS alert, handshake timeout, socket error). */
  onError(receiver: (error: Error, peer: Endpoint | undefined) => void): void;
  close(): void;
}
