/**
 * Interop with libcoap (Debian libcoap3-bin, OpenSSL and GnuTLS builds):
 *  - our client against coap-server-{openssl,gnutls}: PSK, then PKI with EC P-256 certificates made here,
 *    a hand-encoded CoAP GET /.well-known/core answered 2.05;
 *  - coap-client-{openssl,gnutls} against our server (DtlsServerSocket), PSK and PKI, answered by a minimal
 *    hand-made CoAP 2.05;
 *  - untrusted CA and wrong server name end with their typed errors.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { DtlsError, DtlsLink, DtlsServerSocket, type DtlsLinkOptions, type DtlsServerSocketOptions } from "../../hosts/node/dtls/index.js";
import {
  coapAnswer,
  coapGet,
  coapParse,
  expectDtlsFailure,
  makePki,
  requireAddon,
  requireTool,
  spawnPeer,
  type Pki,
} from "../support/node/dtls-peers.js";
import { coapPing, freeUdpPort } from "../support/node/libcoap.js";

const FAST = { handshakeTimeoutMinMs: 250, handshakeTimeoutMaxMs: 2000, handshakeDeadlineMs: 8000 } as const;
const FLAVOURS = ["openssl", "gnutls"] as const;
let pki: Pki;

before(() => {
  requireTool("openssl");
  pki = makePki();
});
after(() => pki?.cleanup());

/** coap-server listening on port (plain) and port+1 (DTLS). */
async function coapServer(flavour: string, args: string[]) {
  requireTool(`coap-server-${flavour}`);
  const port = await freeUdpPort();
  const srv = spawnPeer(`coap-server-${flavour}`, ["-A", "127.0.0.1", "-p", String(port), "-v", "4", ...args], 20_000);
  // Ready when its plain port answers a CoAP ping (the DTLS port is opened with it); bounded: 40 x 100 ms.
  let ready = false;
  for (let i = 0; i < 40 && !ready; i++) ready = await coapPing(port, 100);
  assert.ok(ready, `coap-server-${flavour} did not answer a CoAP ping on ${port}`);
  return { srv, dtlsPort: port + 1 };
}

async function getWellKnownCore(options: DtlsLinkOptions): Promise<{ code: string; payload: string; suite: string | undefined }> {
  const link = await DtlsLink.connect(options);
  try {
    const answer = new Promise<Uint8Array>((resolve) => link.onDatagram((d) => resolve(d.slice())));
    const req = coapGet("/.well-known/core");
    link.send(req, link.peer);
    let timer: NodeJS.Timeout | undefined;
    const res = await Promise.race([
      answer,
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error("no CoAP answer")), 5000))),
    ]);
    clearTimeout(timer);
    const parsed = coapParse(res);
    return { code: parsed.code, payload: Buffer.from(parsed.payload).toString(), suite: link.suite };
  } finally {
    link.close();
  }
}

for (const flavour of FLAVOURS) {
  test(`our PSK client GETs /.well-known/core from coap-server-${flavour}`, async () => {
    requireAddon();
    const { srv, dtlsPort } = await coapServer(flavour, ["-k", "sesame", "-h", "CoAP"]);
    try {
      const r = await getWellKnownCore({ host: "127.0.0.1", port: dtlsPort, psk: { identity: "device-1", key: "sesame" }, ...FAST });
      assert.equal(r.code, "2.05");
      assert.equal(r.suite, "TLS-PSK-WITH-AES-128-CCM-8");
      assert.match(r.payload, /<\/time>|<\/>|rt=/);
    } finally {
      await srv.stop();
    }
  });

  test(`our PKI client (CA + server name, client certificate) GETs from coap-server-${flavour}`, async () => {
    requireAddon();
    const { srv, dtlsPort } = await coapServer(flavour, ["-c", pki.files.serverCert, "-j", pki.files.serverKey, "-C", pki.files.ca]);
    try {
      const r = await getWellKnownCore({
        host: "127.0.0.1",
        port: dtlsPort,
        ca: pki.caPem,
        serverName: "localhost",
        certificate: pki.clientCert,
        privateKey: pki.clientKey,
        ...FAST,
      });
      assert.equal(r.code, "2.05");
      assert.equal(r.suite, "TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8");
    } finally {
      await srv.stop();
    }
  });
}

test("PKI against coap-server-openssl: untrusted CA -> dtls.untrusted_certificate; wrong name -> dtls.name_mismatch", async () => {
  requireAddon();
  const { srv, dtlsPort } = await coapServer("openssl", ["-c", pki.files.serverCert, "-j", pki.files.serverKey, "-n"]);
  try {
    const base = { host: "127.0.0.1", port: dtlsPort, ...FAST } as const;
    for (const [opts, code] of [
      [{ ...base, ca: pki.otherCaPem, serverName: "localhost" }, "dtls.untrusted_certificate"],
      [{ ...base, ca: pki.caPem, serverName: "idp.example.org" }, "dtls.name_mismatch"],
    ] as const) {
      await expectDtlsFailure(DtlsLink.connect(opts), code, 5000);
    }
    // and the right pair works on the same server
    const ok = await getWellKnownCore({ ...base, ca: pki.caPem, serverName: "localhost" });
    assert.equal(ok.code, "2.05");
  } finally {
    await srv.stop();
  }
});

test("pinning the server certificate or its public key (no CA) against coap-server-gnutls; a wrong pin is dtls.untrusted_certificate", async () => {
  requireAddon();
  const { srv, dtlsPort } = await coapServer("gnutls", ["-c", pki.files.serverCert, "-j", pki.files.serverKey, "-n"]);
  try {
    const x509 = new X509Certificate(pki.serverCert);
    const certPin = createHash("sha256").update(x509.raw).digest();
    const spkiPin = createHash("sha256")
      .update(x509.publicKey.export({ type: "spki", format: "der" }))
      .digest();
    const base = { host: "127.0.0.1", port: dtlsPort, ...FAST } as const;
    assert.equal((await getWellKnownCore({ ...base, pin: { kind: "cert", sha256: certPin } })).code, "2.05");
    assert.equal((await getWellKnownCore({ ...base, pin: { kind: "spki", sha256: spkiPin.toString("hex") } })).code, "2.05");
    const wrong = Buffer.from(certPin);
    wrong[0] = (wrong[0] ?? 0) ^ 1;
    const e = await DtlsLink.connect({ ...base, pin: { kind: "cert", sha256: wrong } }).then(
      () => assert.fail("expected a failure"),
      (err: unknown) => err,
    );
    assert.ok(e instanceof DtlsError && e.code === "dtls.untrusted_certificate", String(e));
  } finally {
    await srv.stop();
  }
});

async function ourServer(options: Omit<DtlsServerSocketOptions, "port">) {
  const srv = await DtlsServerSocket.listen({ port: 0, ...options, handshakeTimeoutMinMs: 250, maxSessions: 4 });
  const seen: string[] = [];
  srv.onDatagram((data, peer) => {
    const req = coapParse(data);
    seen.push(req.code);
    if (req.type === 0) srv.send(coapAnswer(data, "hello from idpgate"), peer);
  });
  return { srv, seen };
}

for (const flavour of FLAVOURS) {
  test(`coap-client-${flavour} with PSK gets an answer from our server`, async () => {
    requireAddon();
    requireTool(`coap-client-${flavour}`);
    const { srv, seen } = await ourServer({ psk: { identity: "device-1", key: "sesame" } });
    try {
      const cli = spawnPeer(
        `coap-client-${flavour}`,
        ["-B", "8", "-u", "device-1", "-k", "sesame", `coaps://127.0.0.1:${srv.port}/idp/echo`],
        15_000,
      );
      await cli.waitFor(/hello from idpgate/, 10_000);
      await cli.stop();
      assert.deepEqual(seen, ["0.01"]);
    } finally {
      srv.close();
    }
  });

  test(`coap-client-${flavour} with PKI (client certificate required) gets an answer from our server`, async () => {
    requireAddon();
    requireTool(`coap-client-${flavour}`);
    const { srv, seen } = await ourServer({ certificate: pki.serverCert, privateKey: pki.serverKey, ca: pki.caPem });
    try {
      const cli = spawnPeer(
        `coap-client-${flavour}`,
        ["-B", "8", "-c", pki.files.clientCert, "-j", pki.files.clientKey, "-C", pki.files.ca, `coaps://127.0.0.1:${srv.port}/idp/echo`],
        15_000,
      );
      await cli.waitFor(/hello from idpgate/, 10_000);
      await cli.stop();
      assert.deepEqual(seen, ["0.01"]);
    } finally {
      srv.close();
    }
  });
}
