/**
 * Device RAM of the one object against the parts wired by hand (XS test host, hosts/moddable as on a
 * device; section "TokenVerifier"). Rows: heap retained after a full collection (chunk bytes, slots, and
 * bytes at 16 per slot) by
 *  - `new TokenVerifier({ url, psk })`: what README "Use" does;
 *  - the same defaults wired from the parts (devicePorts, connectDeviceIdp: ReconnectingLink over the
 *    DTLS opener, CoapClient, CoapIntrospectionTransport with its reset, IntrospectionClient; then a
 *    Verifier with the native digest), as an app had to before TokenVerifier;
 *  - the ratio of the two.
 * Nothing is sent: the links connect on the first request. Needs the XS test host (build/hosts/moddable).
 */
import { connectDeviceIdp, devicePorts, TokenVerifier } from "../../hosts/moddable/index.js";
import { NativeTokenDigest } from "../../modules/digest/token_digest.js";
import { Verifier } from "../../src/verifier/index.js";
import { keyFromText } from "../../src/key-text.js";
import { utf8Encode } from "../../src/utf8.js";
import { gc, memory, print, type XsMemory } from "../../hosts/xs/js/host.js";

const URL = "coaps://127.0.0.1:5684/idp/introspect";
const PSK = { identity: "dev", key: "hex:00112233" };
const BEFORE: XsMemory = memory();
const AFTER: XsMemory = memory();

interface Retained {
  readonly chunkBytes: number;
  readonly slots: number;
}

/**
 * Heap held by what `build` returns: the growth from a second one, with the first still alive (the
 * first pays for first-use costs such as property keys; closing it would leave work for the event loop).
 */
function retained(build: () => { close(): void }): Retained {
  const first = build();
  settle();
  memory(BEFORE);
  const second = build();
  settle();
  memory(AFTER);
  second.close();
  first.close();
  return { chunkBytes: AFTER.chunks - BEFORE.chunks, slots: AFTER.slots - BEFORE.slots };
}

/** Two collections: host objects with destructors (the native digest, DTLS) are released by the second. */
function settle(): void {
  gc();
  gc();
}

function row(name: string, r: Retained): void {
  print(
    `BENCH ${JSON.stringify({ section: "TokenVerifier", name, chunkBytes: r.chunkBytes, slots: r.slots, bytes: r.chunkBytes + 16 * r.slots })}`,
  );
}

const one = retained(() => new TokenVerifier({ url: URL, psk: PSK }));
const parts = retained(() => {
  const ports = devicePorts();
  const idp = connectDeviceIdp(URL, { psk: { identity: utf8Encode(PSK.identity), key: keyFromText(PSK.key, "psk") }, ports });
  const verifier = new Verifier({
    introspector: idp.introspector,
    clock: ports.clock,
    wallClock: ports.wall,
    digest: new NativeTokenDigest(),
  });
  return { close: () => (verifier.clear(), idp.close()) };
});
row("new TokenVerifier({ url, psk }) (README Use)", one);
row("the parts wired by hand (ports, connectDeviceIdp, Verifier, native digest)", parts);
print(
  `BENCH ${JSON.stringify({ section: "TokenVerifier", name: "one object / parts (bytes)", ratio: Number(((one.chunkBytes + 16 * one.slots) / (parts.chunkBytes + 16 * parts.slots)).toFixed(3)) })}`,
);
