/**
 * Half-open DTLS handshakes against a real server over loopback UDP: a client (our N-API DtlsSession, real
 * mbedtls) sends its ClientHello, answers the HelloVerifyRequest with the cookie, waits for the server's
 * first flight (proof that the server gave it a session) and then goes silent, keeping its socket open so
 * the server's retransmissions meet no ICMP error. This is the lock-out attack of issue 10 4b.
 */
import dgram from "node:dgram";
import { performance } from "node:perf_hooks";
import { DtlsSession } from "../../../hosts/node/dtls/index.js";

export interface HalfOpenPeer {
  readonly port: number;
  close(): void;
}

/** The next datagram the socket receives, or an error after `timeoutMs`. */
function nextDatagram(socket: dgram.Socket, timeoutMs: number, what: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off("message", onMessage);
      reject(new Error(`half-open client: no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (msg: Buffer): void => {
      clearTimeout(timer);
      resolve(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    };
    socket.once("message", onMessage);
  });
}

/** One client that completes the cookie exchange against 127.0.0.1:`port` and then stops. */
export async function halfOpenHandshake(port: number, psk: { identity: string; key: string }): Promise<HalfOpenPeer> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  // Retransmission timers far beyond the exchange: the client sends each flight once.
  const session = DtlsSession.client({ psk, handshakeTimeoutMinMs: 60_000, handshakeTimeoutMaxMs: 60_000, handshakeDeadlineMs: 120_000 });
  const flush = (): void => {
    for (let d = session.pollTransmit(); d !== undefined; d = session.pollTransmit()) socket.send(d, port, "127.0.0.1");
  };
  try {
    session.start(performance.now());
    flush();
    const hvr = await nextDatagram(socket, 10_000, "HelloVerifyRequest");
    session.handleDatagram(hvr, performance.now());
    flush(); // the ClientHello with the cookie
    await nextDatagram(socket, 10_000, "ServerHello flight"); // the server holds a session for us now
  } finally {
    session.free();
  }
  socket.on("message", () => {}); // silent from here on
  return { port: socket.address().port, close: () => socket.close() };
}
