/**
 * The server side of a datagram transport on Node: one local port, many peers. Plain UDP for coap://,
 * and DTLS (our sans-IO DtlsServer over the same socket) for coaps://. The local identity provider and
 * the gate example listen through these.
 */
import dgram from "node:dgram";
import { performance } from "node:perf_hooks";
import type { Endpoint } from "../../src/ports.js";
import { DtlsServer, type DtlsServerOptions } from "./dtls/server.js";

export interface ServerTransport {
  readonly port: number;
  /** Sends one plaintext datagram to a peer (encrypted first when the transport is DTLS). */
  send(datagram: Uint8Array, to: Endpoint): void;
  onDatagram(receiver: (data: Uint8Array, from: Endpoint) => void): void;
  close(): Promise<void>;
}

export interface TransportLog {
  (line: string): void;
}

async function bind(port: number, address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket(address.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, address, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.on("error", () => {}); // an ICMP unreachable from a vanished peer is not the server's problem
  return socket;
}

const view = (msg: Buffer): Uint8Array => new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);

/** Plain UDP (coap://). */
export async function listenUdp(port: number, address = "127.0.0.1"): Promise<ServerTransport> {
  const socket = await bind(port, address);
  let receiver: (data: Uint8Array, from: Endpoint) => void = () => {};
  socket.on("message", (msg, rinfo) => receiver(view(msg), { address: rinfo.address, port: rinfo.port }));
  return {
    port: socket.address().port,
    send: (datagram, to) => socket.send(datagram, to.port, to.address),
    onDatagram: (r) => {
      receiver = r;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** DTLS 1.2 (coaps://) through modules/dtls: cookies, many peers, bounded sessions, idle expiry. */
export async function listenDtls(port: number, address: string, options: DtlsServerOptions, log: TransportLog = () => {}): Promise<ServerTransport> {
  const socket = await bind(port, address);
  const dtls = new DtlsServer(options);
  let receiver: (data: Uint8Array, from: Endpoint) => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const pump = (): void => {
    for (let ev = dtls.pollEvent(); ev !== undefined; ev = dtls.pollEvent()) {
      if (ev.type === "transmit") socket.send(ev.data, ev.peer.port, ev.peer.address);
      else if (ev.type === "data") receiver(ev.data, ev.peer);
      else if (ev.type === "connected") log(`dtls: ${ev.peer.address}:${ev.peer.port} connected`);
      else log(`dtls: ${ev.peer.address}:${ev.peer.port} closed${ev.error ? ` (${ev.error.code})` : ""}`);
    }
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const next = dtls.pollTimeout();
    if (next !== undefined && !closed) {
      timer = setTimeout(() => {
        timer = undefined;
        if (closed) return;
        dtls.handleTimeout(performance.now());
        pump();
      }, Math.max(0, next - performance.now()));
    }
  };

  socket.on("message", (msg, rinfo) => {
    if (closed) return;
    try {
      dtls.handleDatagram(view(msg), { address: rinfo.address, port: rinfo.port }, performance.now());
    } catch (error) {
      log(`dtls: refused ${rinfo.address}:${rinfo.port}: ${(error as { code?: string }).code ?? (error as Error).message}`);
    }
    pump();
  });

  return {
    port: socket.address().port,
    send: (datagram, to) => {
      if (closed) return;
      try {
        dtls.write(datagram, to, performance.now());
      } catch (error) {
        log(`dtls: cannot answer ${to.address}:${to.port}: ${(error as { code?: string }).code ?? (error as Error).message}`);
      }
      pump();
    },
    onDatagram: (r) => {
      receiver = r;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      dtls.free();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
