/**
 * A DatagramLink (src/ports.ts) over ECMA-419 UDP (`embedded:io/socket/udp`) as Moddable implements it.
 *
 * lwIP's receive queue is unbounded and onReadable fires only when datagrams arrive, so the link drains the
 * queue on every onReadable, at most `maxPerWake` datagrams at a time (so one burst cannot hold the VM), and
 * schedules itself again with a zero-delay timer while a full batch was read. Addresses are dotted IPs.
 *
 * @example
 * ```ts
 * const link = new UdpLink({ port: 5683 });
 * link.onDatagram((data, from) => link.send(data, from)); // echo
 * ```
 */
import UDP from "embedded:io/socket/udp";
import Timer from "timer";
import { IdpgateError } from "../../src/errors.js";
import type { DatagramLink, Endpoint } from "../../src/ports.js";
import { LinkReceivers } from "../../src/link/link-receivers.js";

/** Datagrams handled per onReadable before yielding to other work. */
export const UDP_MAX_PER_WAKE = 8;
/** Conservative datagram size: under a 1280-byte path MTU with IP and UDP headers (no fragmentation). */
export const UDP_MAX_DATAGRAM = 1152;

export interface UdpLinkOptions {
  /** Local port (default 0: any). */
  readonly port?: number;
  /** Local address to bind (dotted IP); the platform's default otherwise. */
  readonly address?: string;
  readonly maxDatagramSize?: number;
  readonly maxPerWake?: number;
}

type Packet = ArrayBuffer & { readonly address: string; readonly port: number };
/** ECMA-419 `close()` is missing from @moddable/typings 5.6.0's UDP, and read() may find nothing. */
type Socket = UDP & { close(): void };

export class UdpLink extends LinkReceivers implements DatagramLink {
  readonly maxDatagramSize: number;
  readonly #socket: Socket;
  readonly #maxPerWake: number;
  #again: Timer | undefined;
  #closed = false;

  constructor(options: UdpLinkOptions = {}) {
    super();
    this.maxDatagramSize = options.maxDatagramSize ?? UDP_MAX_DATAGRAM;
    this.#maxPerWake = Math.max(1, options.maxPerWake ?? UDP_MAX_PER_WAKE);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const link = this;
    this.#socket = new UDP({
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.address === undefined ? {} : { address: options.address }),
      onReadable() {
        link.#drain();
      },
      onError() {
        link.fail(new IdpgateError("link.socket_error", "environment", "UDP socket error"), undefined);
      },
    }) as Socket;
  }

  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.#closed) return;
    try {
      this.#socket.write(datagram, to.address, to.port);
    } catch (e) {
      this.fail(e instanceof Error ? e : new IdpgateError("link.send_failed", "environment", "UDP send failed"), to);
    }
  }

  /** Closes the socket; safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#again !== undefined) Timer.clear(this.#again);
    this.#again = undefined;
    this.#socket.close();
  }

  #drain(): void {
    let n = 0;
    for (; n < this.#maxPerWake && !this.#closed; n++) {
      const p = this.#socket.read() as Packet | undefined;
      if (p === undefined) return;
      this.deliver(new Uint8Array(p), { address: p.address, port: p.port });
    }
    if (this.#closed || this.#again !== undefined) return;
    // A full batch: more may wait, and lwIP will not call onReadable again for them.
    this.#again = Timer.set(() => {
      this.#again = undefined;
      this.#drain();
    }, 0);
  }
}
