/**
 * DtlsServerSocket: DtlsServer on one Node dgram socket, accepting many peers. It is also a DatagramLink
 * (send(data, peer) encrypts to that peer), so a CoAP server (the local identity provider) can sit on it.
 *
 * @example
 * ```ts
 * const srv = await DtlsServerSocket.listen({ port: 0, psk: { identity: "dev", key: "hex:0011" } });
 * srv.onDatagram((data, peer) => srv.send(data, peer)); // echo
 * ```
 */
import dgram from "node:dgram";
import { performance } from "node:perf_hooks";
import type { DatagramLink, Endpoint } from "../../../src/ports.js";
import { DtlsError } from "./errors.js";
import { DtlsServer, type DtlsServerOptions } from "./server.js";
import { LinkReceivers } from "../../../src/link/link-receivers.js";

export interface DtlsServerSocketOptions extends DtlsServerOptions {
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly address?: string;
}

const now = (): number => performance.now();

export class DtlsServerSocket extends LinkReceivers implements DatagramLink {
  readonly #server: DtlsServer;
  readonly #socket: dgram.Socket;
  #timer: NodeJS.Timeout | undefined;
  #connection: (peer: Endpoint) => void = () => {};
  #closeReceiver: (peer: Endpoint, error: DtlsError | undefined) => void = () => {};
  #closed = false;
  /** Datagrams refused because the session table was full. */
  refused = 0;

  private constructor(options: DtlsServerSocketOptions) {
    super();
    this.#server = new DtlsServer(options);
    this.#socket = dgram.createSocket(options.address?.includes(":") === true ? "udp6" : "udp4");
    this.#socket.on("message", (msg, rinfo) => {
      if (this.#closed) return;
      const from = { address: rinfo.address, port: rinfo.port };
      try {
        this.#server.handleDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), from, now());
      } catch (e) {
        if (e instanceof DtlsError && e.code === "dtls.session_limit") this.refused++;
        this.fail(e as Error, from);
      }
      this.#pump();
    });
    this.#socket.on("error", (err) => this.fail(err, undefined));
  }

  static async listen(options: DtlsServerSocketOptions): Promise<DtlsServerSocket> {
    const s = new DtlsServerSocket(options);
    await new Promise<void>((resolve, reject) => {
      s.#socket.once("error", reject);
      s.#socket.bind(options.port, options.address ?? "127.0.0.1", () => resolve());
    });
    return s;
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Conservative: one record of a CCM_8 suite under the default 1280-byte MTU. */
  get maxDatagramSize(): number {
    return 1152;
  }

  get sessionCount(): number {
    return this.#server.sessionCount;
  }

  onConnection(receiver: (peer: Endpoint) => void): void {
    this.#connection = receiver;
  }

  onClose(receiver: (peer: Endpoint, error: DtlsError | undefined) => void): void {
    this.#closeReceiver = receiver;
  }

  send(datagram: Uint8Array, to: Endpoint): void {
    if (this.#closed) return;
    try {
      this.#server.write(datagram, to, now());
    } catch (e) {
      this.fail(e as Error, to);
    }
    this.#pump();
  }

  closePeer(peer: Endpoint): void {
    if (this.#closed) return;
    this.#server.closePeer(peer, now());
    this.#pump();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#server.free();
    this.#socket.close();
  }

  #pump(): void {
    if (this.#closed) return;
    for (let ev = this.#server.pollEvent(), i = 0; ev !== undefined && i < 1024; ev = this.#server.pollEvent(), i++) {
      if (ev.type === "transmit") this.#socket.send(ev.data, ev.peer.port, ev.peer.address);
      else if (ev.type === "connected") this.#connection(ev.peer);
      else if (ev.type === "data") this.deliver(ev.data, ev.peer);
      else {
        this.#closeReceiver(ev.peer, ev.error);
        if (ev.error !== undefined && ev.error.code !== "dtls.peer_closed" && ev.error.code !== "dtls.idle_timeout")
          this.fail(ev.error, ev.peer);
      }
      if (this.#closed) return;
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const t = this.#server.pollTimeout();
    if (t !== undefined) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          if (this.#closed) return;
          this.#server.handleTimeout(now());
          this.#pump();
        },
        Math.max(0, Math.ceil(t - now())),
      );
      this.#timer.unref();
    }
  }
}
