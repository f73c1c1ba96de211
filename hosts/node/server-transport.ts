/**
 * The server side of a datagram transport on Node: one local port, many peers. Plain UDP for coap://,
 * and DTLS (our sans-IO DtlsServer over the same socket) for coaps://. The local identity provider and
 * the gate example listen through these.
 */
import dgram from "node:dgram";
import type { Endpoint } from "../../src/ports.js";
import { DtlsServerSocket, type DtlsServerSocketOptions } from "./dtls/dtls-server-socket.js";

export interface ServerTransport {
  readonly port: number;
  /** Sends one plaintext datagram to a peer (encrypted first when the transport is DTLS); done with its bytes on return. */
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
    // A copy: dgram reads the bytes after send returns (DatagramLink.send: the caller may reuse its buffer).
    send: (datagram, to) => socket.send(Buffer.from(datagram), to.port, to.address),
    onDatagram: (r) => {
      receiver = r;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The identity provider serves more devices than a gate has operators: its bounds, unless given. */
export const PROVIDER_MAX_SESSIONS = 8;
export const PROVIDER_IDLE_MS = 300_000;

/** DTLS 1.2 (coaps://) on the DTLS server driver: cookies, many peers, bounded sessions, idle expiry. */
export async function listenDtls(
  port: number,
  address: string,
  options: Omit<DtlsServerSocketOptions, "port" | "address" | "log">,
  log: TransportLog = () => {},
): Promise<ServerTransport> {
  const socket = await DtlsServerSocket.listen({
    maxSessions: PROVIDER_MAX_SESSIONS,
    idleTimeoutMs: PROVIDER_IDLE_MS,
    ...options,
    port,
    address,
    log,
  });
  const name = (p: Endpoint | undefined): string => (p === undefined ? "socket" : `${p.address}:${p.port}`);
  socket.onConnection((peer) => log(`dtls: ${name(peer)} connected`));
  socket.onClose((peer, error) => log(`dtls: ${name(peer)} closed${error ? ` (${error.code})` : ""}`));
  socket.onError((error, peer) => log(`dtls: ${name(peer)}: ${(error as { code?: string }).code ?? error.message}`));
  return {
    port: socket.port,
    send: (datagram, to) => socket.send(datagram, to),
    onDatagram: (receiver) => socket.onDatagram(receiver),
    close: async () => socket.close(),
  };
}
