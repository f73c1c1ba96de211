/**
 * Our DTLS client (modules/dtls through hosts/node/dtls) against `openssl s_server -dtls1_2` with PSK:
 * handshake on TLS_PSK_WITH_AES_128_CCM_8, a datagram each way, clean close; then the typed failures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { DtlsLink } from "../../hosts/node/dtls/index.js";
import { expectDtlsFailure, requireAddon, requireTool, spawnPeer } from "../support/node/dtls-peers.js";
import { freeUdpPort } from "../support/node/libcoap.js";

const KEY_HEX = "00112233445566778899aabbccddeeff";
const FAST = { handshakeTimeoutMinMs: 200, handshakeTimeoutMaxMs: 1600 } as const;

function sServer(port: number, identity: string) {
  return spawnPeer(
    "openssl",
    [
      "s_server",
      "-dtls1_2",
      "-accept",
      `127.0.0.1:${port}`,
      "-psk",
      KEY_HEX,
      "-psk_identity",
      identity,
      "-nocert",
      "-cipher",
      "PSK-AES128-CCM8",
    ],
    15_000,
  );
}

test("PSK-CCM8 handshake with openssl s_server, echo one datagram each way, close_notify", async () => {
  requireAddon();
  requireTool("openssl");
  const port = await freeUdpPort();
  const srv = sServer(port, "device-1");
  try {
    await srv.waitFor(/ACCEPT/, 5000);
    const link = await DtlsLink.connect({ host: "127.0.0.1", port, psk: { identity: "device-1", key: `hex:${KEY_HEX}` }, ...FAST });
    assert.equal(link.suite, "TLS-PSK-WITH-AES-128-CCM-8");
    assert.ok(link.maxDatagramSize > 1000 && link.maxDatagramSize < 1280);
    const got = new Promise<string>((resolve) => link.onDatagram((d) => resolve(Buffer.from(d).toString())));
    link.send(new TextEncoder().encode("ping from idpgate\n"), link.peer);
    await srv.waitFor(/ping from idpgate/, 5000);
    srv.write("pong from openssl\n");
    assert.equal((await got).trim(), "pong from openssl");
    link.close();
    link.close();
    await srv.waitFor(/DONE|CONNECTION CLOSED|shutting down/, 5000);
  } finally {
    await srv.stop();
  }
});

test("wrong PSK against openssl ends with dtls.bad_psk, bounded", async () => {
  requireAddon();
  requireTool("openssl");
  const port = await freeUdpPort();
  const srv = sServer(port, "device-1");
  try {
    await srv.waitFor(/ACCEPT/, 5000);
    await expectDtlsFailure(
      DtlsLink.connect({
        host: "127.0.0.1",
        port,
        psk: { identity: "device-1", key: "hex:ffeeddccbbaa99887766554433221100" },
        ...FAST,
        handshakeDeadlineMs: 4000,
      }),
      "dtls.bad_psk",
      6000,
    );
  } finally {
    await srv.stop();
  }
});

test("a silent peer ends with dtls.handshake_timeout at the deadline", async () => {
  requireAddon();
  const sink = dgram.createSocket("udp4");
  let received = 0;
  sink.on("message", () => received++);
  await new Promise<void>((r) => sink.bind(0, "127.0.0.1", () => r()));
  try {
    await expectDtlsFailure(
      DtlsLink.connect({
        host: "127.0.0.1",
        port: sink.address().port,
        psk: { identity: "device-1", key: "secret" },
        handshakeTimeoutMinMs: 100,
        handshakeTimeoutMaxMs: 400,
        handshakeDeadlineMs: 1500,
      }),
      "dtls.handshake_timeout",
      3000,
    );
    assert.ok(received >= 3, `ClientHello retransmitted (${received} datagrams)`);
  } finally {
    sink.close();
  }
});
