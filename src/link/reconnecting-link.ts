/**
 * A DatagramLink that (re)establishes its underlying link on demand: DTLS sessions die (the server
 * restarted, an idle timeout, a fatal alert) and a device must recover on its own.
 *
 * Theory of operation: the first `send` starts `connect()`; datagrams sent meanwhile wait in a small
 * bounded queue (CoAP retransmits anything dropped past it). When the underlying link reports an error
 * it is closed and forgotten, and the error is passed on (the CoAP client fails the affected requests);
 * the next `send` connects again. `reset()` does the same on the caller's word, e.g. after N confirmable
 * requests went unanswered, which is how a silently restarted DTLS server is noticed (RFC 7925 §10 has no
 * better signal without a Connection ID or a heartbeat).
 */
import type { DatagramLink, Endpoint } from "../ports.js";
import { LinkReceivers } from "./link-receivers.js";

/**
 * One connection attempt, as a connector sees it: when the ReconnectingLink is closed before the attempt
 * settles, the attempt is cancelled, and the connector gives up its handshake at once (closing its socket
 * and timers) instead of running it to its own timeout.
 */
export interface ConnectAttempt {
  readonly cancelled: boolean;
  /** `listener` runs once, when the attempt is cancelled (at once if it already is). */
  onCancel(listener: () => void): void;
}

export type LinkConnector = (attempt: ConnectAttempt) => Promise<DatagramLink>;

/** The ConnectAttempt a connector is handed: cancel() runs its listeners once. */
export class Attempt implements ConnectAttempt {
  cancelled = false;
  #listeners: (() => void)[] = [];

  onCancel(listener: () => void): void {
    if (this.cancelled) listener();
    else this.#listeners.push(listener);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const l of listeners) l();
  }
}

export interface ReconnectingLinkOptions {
  readonly maxDatagramSize: number;
  /** Datagrams held while connecting; older ones are dropped first. Default 4. */
  readonly maxQueued?: number;
}

interface Queued {
  readonly datagram: Uint8Array;
  readonly to: Endpoint;
}

export class ReconnectingLink extends LinkReceivers implements DatagramLink {
  readonly maxDatagramSize: number;
  readonly #connect: LinkConnector;
  readonly #maxQueued: number;
  #link: DatagramLink | undefined;
  #connecting: Promise<void> | undefined;
  #attempt: Attempt | undefined;
  #queue: Queued[] = [];
  #closed = false;
  /** Completed connections, for counters and tests. */
  connections = 0;

  constructor(connect: LinkConnector, options: ReconnectingLinkOptions) {
    super();
    this.#connect = connect;
    this.maxDatagramSize = options.maxDatagramSize;
    this.#maxQueued = options.maxQueued ?? 4;
  }

  get connected(): boolean {
    return this.#link !== undefined;
  }

  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.#closed) return;
    if (this.#link !== undefined) {
      this.#link.send(datagram, to);
      return;
    }
    if (this.#queue.length >= this.#maxQueued) this.#queue.shift();
    // The caller may reuse its buffer once send returns.
    this.#queue.push({ datagram: datagram.slice(), to });
    this.#start();
  }

  #start(): void {
    if (this.#connecting !== undefined) return;
    const attempt = new Attempt();
    this.#attempt = attempt;
    this.#connecting = this.#connect(attempt).then(
      (link) => {
        this.#connecting = undefined;
        this.#attempt = undefined;
        if (this.#closed) {
          link.close();
          return;
        }
        this.connections++;
        this.#link = link;
        link.onDatagram((data, from) => {
          if (this.#link === link) this.deliver(data, from);
        });
        link.onError((error, peer) => {
          if (this.#link !== link) return;
          this.#drop();
          this.fail(error, peer);
        });
        const queued = this.#queue;
        this.#queue = [];
        for (const q of queued) link.send(q.datagram, q.to);
      },
      (error: unknown) => {
        this.#connecting = undefined;
        this.#attempt = undefined;
        this.#queue = [];
        if (!this.#closed) this.fail(error instanceof Error ? error : new Error(String(error)), undefined);
      },
    );
  }

  #drop(): void {
    const link = this.#link;
    this.#link = undefined;
    try {
      link?.close();
    } catch {
      // already failed; nothing more to release
    }
  }

  /** Forgets the current link; the next send connects again. */
  reset(): void {
    this.#drop();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#attempt?.cancel();
    this.#drop();
  }
}
