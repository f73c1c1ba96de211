/**
 * A DatagramLink over Node's dgram: one udp4 and/or one udp6 socket, opened lazily by the family of
 * the first destination (or up front by `open()`), each bound to an ephemeral port.
 *
 * @example
 * ```ts
 * const link = await UdpLink.open({ family: 4 });
 * link.onDatagram((data, from) => console.log(from, data.length));
 * link.send(bytes, { address: "127.0.0.1", port: 5683 });
 * ```
 */
import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import type { DatagramLink, Endpoint } from "../../src/ports.js";
import { LinkReceivers } from "../../src/link/link-receivers.js";

export interface UdpLinkOptions {
  /** Open this family's socket at once (4 or 6); the other opens on first use. */
  readonly family?: 4 | 6;
  /** Local address to bind (default: any). */
  readonly bindAddress?: string;
  /** Local port to bind (default 0: an ephemeral one); a server's well-known port. */
  readonly port?: number;
  readonly maxDatagramSize?: number;
  /** An IPv6 socket that also takes IPv4 peers (as `::ffff:a.b.c.d`): a server bound to `::`. */
  readonly dualStack?: boolean;
  /** close() waits for the datagrams already sent to leave (a DTLS client's close_notify); otherwise closing
   * cancels the sends still pending. */
  readonly lingerOnClose?: boolean;
}

export class UdpLink extends LinkReceivers implements DatagramLink {
  readonly maxDatagramSize: number;
  readonly #options: UdpLinkOptions;
  #v4: dgram.Socket | undefined;
  #v6: dgram.Socket | undefined;
  #closed = false;
  /** Datagrams handed to a socket whose send has not completed. */
  #pending = 0;

  constructor(options: UdpLinkOptions = {}) {
    super();
    this.#options = options;
    this.maxDatagramSize = options.maxDatagramSize ?? 1152;
  }

  /** A link whose socket for `options.family` is bound before it resolves. */
  static async open(options: UdpLinkOptions = {}): Promise<UdpLink> {
    const link = new UdpLink(options);
    const socket = link.#socket(options.family === 6);
    await new Promise<void>((resolve, reject) => {
      socket.once("listening", resolve);
      socket.once("error", reject);
    });
    return link;
  }

  /** The local port of the socket of a family, once bound. */
  localPort(family: 4 | 6 = 4): number | undefined {
    const s = family === 6 ? this.#v6 : this.#v4;
    try {
      return s?.address().port;
    } catch {
      return undefined;
    }
  }

  #socket(v6: boolean): dgram.Socket {
    const existing = v6 ? this.#v6 : this.#v4;
    if (existing !== undefined) return existing;
    const s = dgram.createSocket({ type: v6 ? "udp6" : "udp4", ipv6Only: v6 && this.#options.dualStack !== true });
    s.on("message", (msg, rinfo) => {
      if (!this.#closed)
        this.deliver(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { address: rinfo.address, port: rinfo.port });
    });
    s.on("error", (err) => {
      if (!this.#closed) this.fail(err, undefined); // a socket lingering after close() reports nothing
    });
    s.bind({ port: this.#options.port ?? 0, ...(this.#options.bindAddress === undefined ? {} : { address: this.#options.bindAddress }) });
    if (v6) this.#v6 = s;
    else this.#v4 = s;
    return s;
  }

  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.#closed) return;
    this.#pending++;
    // A copy: dgram reads the bytes later (after its address lookup, or once the socket is bound), and the
    // caller may write its buffer as soon as send returns (DatagramLink.send).
    this.#socket(isIPv6(to.address)).send(Buffer.from(datagram), to.port, to.address, (err) => {
      if (err && !this.#closed) this.fail(err, to);
      if (--this.#pending === 0 && this.#closed && this.#options.lingerOnClose === true) this.#closeSockets();
    });
  }

  /** Closes the sockets, with lingerOnClose once the datagrams already sent have left. Nothing is received or
   * sent after it. Safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending === 0 || this.#options.lingerOnClose !== true) this.#closeSockets();
  }

  #closeSockets(): void {
    for (const s of [this.#v4, this.#v6]) {
      try {
        s?.close();
      } catch {
        // already closed
      }
    }
  }
}
