/**
 * DtlsLink: a DatagramLink (src/ports.ts) carrying plaintext datagrams over DTLS 1.2 to one server, on Node's
 * dgram. The sans-IO DtlsSession does the protocol; this file only moves bytes and arms one timer.
 *
 * @example
 * ```ts
 * const link = await DtlsLink.connect({ host: "127.0.0.1", port: 5684, psk: { identity: "dev", key: "hex:0011" } });
 * link.onDatagram((data) => console.log(data));
 * link.send(coapBytes, link.peer);
 * link.close();
 * ```
 */
import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { performance } from "node:perf_hooks";
import type { DatagramLink, Endpoint } from "../../../src/ports.js";
import type { ConnectAttempt } from "../../../src/link/reconnecting-link.js";
import { DtlsError } from "./errors.js";
import type { DtlsOptions } from "./options.js";
import { DtlsSession } from "./session.js";
import { LinkReceivers } from "../../../src/link/link-receivers.js";

export interface DtlsLinkOptions extends DtlsOptions {
  /** Server address (numeric IPv4 or IPv6). */
  readonly host: string;
  readonly port: number;
  readonly bindAddress?: string;
  /** A saved session (DtlsLink.saveSession) to resume; ignored when unusable. */
  readonly resume?: Uint8Array;
}

const now = (): number => performance.now();

export class DtlsLink extends LinkReceivers implements DatagramLink {
  readonly peer: Endpoint;
  readonly #session: DtlsSession;
  readonly #socket: dgram.Socket;
  #timer: NodeJS.Timeout | undefined;
  #onConnected: (() => void) | undefined;
  #onFailed: ((e: DtlsError) => void) | undefined;
  #closed = false;

  private constructor(options: DtlsLinkOptions) {
    super();
    this.peer = { address: options.host, port: options.port };
    this.#session = DtlsSession.client(options);
    if (options.resume !== undefined) {
      try {
        this.#session.restore(options.resume);
      } catch {
        // gotcha 3 of MBEDTLS-COMPAT.md: an unusable saved session is a cache miss
      }
    }
    this.#socket = dgram.createSocket(isIPv6(options.host) ? "udp6" : "udp4");
    this.#socket.on("message", (msg, rinfo) => {
      if (this.#closed || rinfo.port !== this.peer.port || rinfo.address !== this.peer.address) return;
      this.#session.handleDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), now());
      this.#pump();
    });
    this.#socket.on("error", (err) => this.fail(err, undefined));
  }

  /** Binds a socket, runs the handshake and resolves when connected; rejects with a DtlsError. */
  /** Resolves once the handshake is done; a cancelled `attempt` closes the link and rejects with dtls.closed. */
  static async connect(options: DtlsLinkOptions, attempt?: ConnectAttempt): Promise<DtlsLink> {
    const link = new DtlsLink(options);
    await new Promise<void>((resolve, reject) => {
      link.#socket.once("error", reject);
      link.#socket.bind({ port: 0, ...(options.bindAddress === undefined ? {} : { address: options.bindAddress }) }, () => resolve());
    });
    await new Promise<void>((resolve, reject) => {
      link.#onConnected = resolve;
      link.#onFailed = reject;
      attempt?.onCancel(() => {
        if (link.#onFailed === undefined) return; // settled already
        link.#onConnected = link.#onFailed = undefined;
        link.close();
        reject(new DtlsError("dtls.closed", "caller", "closed during the handshake"));
      });
      link.#session.start(now());
      link.#pump();
    });
    return link;
  }

  /** Largest plaintext datagram send() carries (one record under the MTU). */
  get maxDatagramSize(): number {
    return this.#session.maxPayload;
  }

  /** True when this connection resumed a saved session. */
  get resumed(): boolean {
    return this.#session.resumed;
  }

  get suite(): string | undefined {
    return this.#session.suite;
  }

  /** The session to pass as `resume` to a later connect (secret: store like a key). */
  saveSession(): Uint8Array {
    return this.#session.save();
  }

  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.#closed) return;
    if (to.port !== this.peer.port || to.address !== this.peer.address) {
      this.fail(new DtlsError("dtls.bad_argument", "caller", "a DtlsLink only reaches its own peer"), to);
      return;
    }
    try {
      this.#session.write(datagram, now());
    } catch (e) {
      this.fail(e as Error, to);
    }
    this.#pump();
  }

  /** Sends close_notify, then closes the socket. Safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#session.close(now());
    this.#flush();
    this.#shutdown();
  }

  #shutdown(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#session.free();
    // Close only once the last datagram (close_notify, an alert) has left: closing cancels pending sends.
    if (this.#pending === 0) this.#socket.close();
  }

  #pending = 0;

  #flush(): void {
    for (let d = this.#session.pollTransmit(), i = 0; d !== undefined && i < 64; d = this.#session.pollTransmit(), i++) {
      this.#pending++;
      this.#socket.send(d, this.peer.port, this.peer.address, () => {
        if (--this.#pending === 0 && this.#closed) this.#socket.close();
      });
    }
  }

  #pump(): void {
    if (this.#closed) return;
    this.#flush();
    for (let ev = this.#session.pollEvent(), i = 0; ev !== undefined && i < 256; ev = this.#session.pollEvent(), i++) {
      if (ev.type === "connected") {
        this.#onConnected?.();
        this.#onConnected = undefined;
      } else if (ev.type === "data") {
        this.deliver(ev.data, this.peer);
      } else {
        const err = ev.error;
        if (this.#onFailed !== undefined && err !== undefined) this.#onFailed(err);
        else if (this.#onFailed !== undefined) this.#onFailed(new DtlsError("dtls.closed", "caller", "closed during the handshake"));
        else if (err !== undefined) this.fail(err, this.peer);
        this.#onFailed = undefined;
        this.#onConnected = undefined;
        this.#flush();
        this.#shutdown();
        return;
      }
    }
    if (this.#onConnected === undefined) this.#onFailed = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const t = this.#session.pollTimeout();
    if (t !== undefined) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.#session.handleTimeout(now());
          this.#pump();
        },
        Math.max(0, Math.ceil(t - now())),
      );
    }
  }
}
