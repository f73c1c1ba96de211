/**
 * DtlsLink (client DatagramLink) against DtlsServerSocket over real loopback sockets: session resumption
 * through the link, a server-side close reaching the client as dtls.peer_closed, a newcomer at the session
 * limit replacing the least recently heard client.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DtlsError, DtlsLink, DtlsServerSocket } from "../../hosts/node/dtls/index.js";
import { requireAddon } from "../support/node/dtls-peers.js";

const PSK = { identity: "device-1", key: "hex:00112233445566778899aabbccddeeff" };
const TIMERS = { handshakeTimeoutMinMs: 100, handshakeTimeoutMaxMs: 400, handshakeDeadlineMs: 1500 };

test("a saved session resumes through DtlsLink; the server closing reaches the client as dtls.peer_closed", async () => {
  requireAddon();
  const server = await DtlsServerSocket.listen({ port: 0, psk: PSK, ...TIMERS });
  const peers: string[] = [];
  server.onConnection((p) => peers.push(`${p.address}:${p.port}`));
  try {
    const first = await DtlsLink.connect({ host: "127.0.0.1", port: server.port, psk: PSK, ...TIMERS });
    assert.equal(first.resumed, false);
    const blob = first.saveSession();
    first.close();
    const second = await DtlsLink.connect({ host: "127.0.0.1", port: server.port, psk: PSK, resume: blob, ...TIMERS });
    assert.equal(second.resumed, true);
    const closed = new Promise<Error>((resolve) => second.onError((e) => resolve(e)));
    await new Promise((r) => setTimeout(r, 50));
    const peer = peers[peers.length - 1];
    assert.ok(peer !== undefined);
    const [address, port] = [peer.slice(0, peer.lastIndexOf(":")), Number(peer.slice(peer.lastIndexOf(":") + 1))];
    server.closePeer({ address, port });
    const e = await closed;
    assert.ok(e instanceof DtlsError && e.code === "dtls.peer_closed", String(e));
    second.close();
    // an unusable blob is a cache miss, not an error
    const third = await DtlsLink.connect({ host: "127.0.0.1", port: server.port, psk: PSK, resume: new Uint8Array([1, 2, 3]), ...TIMERS });
    assert.equal(third.resumed, false);
    third.close();
  } finally {
    server.close();
  }
});

test("DtlsServerSocket at maxSessions: a newcomer replaces the least recently heard client, which is told by close_notify", async () => {
  requireAddon();
  const server = await DtlsServerSocket.listen({ port: 0, psk: PSK, maxSessions: 1, ...TIMERS });
  const closes: string[] = [];
  server.onClose((_peer, error) => closes.push(error?.code ?? "-"));
  try {
    const a = await DtlsLink.connect({ host: "127.0.0.1", port: server.port, psk: PSK, ...TIMERS });
    const told = new Promise<Error>((resolve) => a.onError((e) => resolve(e)));
    const b = await DtlsLink.connect({ host: "127.0.0.1", port: server.port, psk: PSK, ...TIMERS });
    const e = await told;
    assert.ok(e instanceof DtlsError && e.code === "dtls.peer_closed", String(e));
    assert.deepEqual(closes, ["dtls.session_limit"]);
    assert.equal(server.stats().evicted, 1);
    assert.equal(server.sessionCount, 1);
    a.close();
    b.close();
  } finally {
    server.close();
  }
});

test("DtlsServerSocket knows the PSK identity each peer's session authenticated (the gate's per-caller key)", async () => {
  requireAddon();
  const other = { identity: "device-2", key: "hex:ffeeddccbbaa99887766554433221100" };
  const server = await DtlsServerSocket.listen({ port: 0, psk: [PSK, other], ...TIMERS });
  const identities: (string | undefined)[] = [];
  server.onConnection((peer) => identities.push(server.peerIdentity(peer)));
  try {
    const a = await DtlsLink.connect({ host: "127.0.0.1", port: server.port, psk: PSK, ...TIMERS });
    const b = await DtlsLink.connect({ host: "127.0.0.1", port: server.port, psk: other, ...TIMERS });
    for (let i = 0; i < 50 && identities.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(identities, ["device-1", "device-2"]);
    a.close();
    b.close();
  } finally {
    server.close();
  }
});
