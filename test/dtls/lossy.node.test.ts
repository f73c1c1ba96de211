/**
 * A PSK handshake and an exchange through a relay dropping 30% of datagrams each way (fixed, printed seed):
 * our client (DtlsLink) and our server (DtlsServerSocket) both recover through DTLS retransmission
 * (RFC 6347 4.2.4) within a bounded time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DtlsLink, DtlsServerSocket } from "../../hosts/node/dtls/index.js";
import { requireAddon } from "../support/node/dtls-peers.js";
import { LossyRelay } from "../support/node/lossy-relay.js";

const PSK = { identity: "device-1", key: "hex:00112233445566778899aabbccddeeff" };

for (const seed of [0x1d9a7e55, 0x00c0ffee, 0x5eed0003]) {
  test(`handshake + echo through a 30% lossy relay (seed 0x${seed.toString(16)})`, async () => {
    requireAddon();
    const timers = { handshakeTimeoutMinMs: 100, handshakeTimeoutMaxMs: 1600, handshakeDeadlineMs: 20_000 };
    const server = await DtlsServerSocket.listen({ port: 0, psk: PSK, ...timers });
    server.onDatagram((d, peer) => server.send(d, peer));
    const relay = await LossyRelay.start({ serverPort: server.port, loss: 0.3, seed });
    const t0 = performance.now();
    try {
      const link = await DtlsLink.connect({ host: "127.0.0.1", port: relay.port, psk: PSK, ...timers });
      const ms = Math.round(performance.now() - t0);
      let echoed = false;
      link.onDatagram(() => (echoed = true));
      for (let i = 0; i < 40 && !echoed; i++) {
        link.send(new TextEncoder().encode(`ping ${i}`), link.peer);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(echoed, "an echo got through");
      console.log(
        `lossy seed 0x${seed.toString(16)}: connected in ${ms} ms, relay forwarded ${relay.stats.forwarded}, dropped ${relay.stats.dropped}`,
      );
      assert.ok(relay.stats.dropped > 0, "the relay did drop datagrams");
      link.close();
    } finally {
      relay.close();
      server.close();
    }
  });
}
