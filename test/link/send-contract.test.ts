// The DatagramLink.send contract (src/ports.ts, test/link/send-contract.fixture.ts) on the links that run
// everywhere: the check fails for a link that keeps the bytes, and holds for the reconnecting link (its
// queue and its connected path), the DTLS drivers (over the C core's models: mbedtls encrypts at once)
// and the test links the gate and server suites use. Node's sockets and the native DTLS links:
// test/link/send-contract.node.test.ts.
import { test, assert, FakeClock, FakeTimers } from "../harness/index.js";
import { checkSendReleasesBytes } from "./send-contract.fixture.js";
import { ReconnectingLink, type ConnectAttempt } from "../../src/link/reconnecting-link.js";
import { LinkReceivers } from "../../src/link/link-receivers.js";
import { DtlsServerDriver } from "../../src/link/dtls-server-driver.js";
import type { DatagramLink, Endpoint } from "../../src/ports.js";
import { utf8Decode, utf8Encode } from "../../src/utf8.js";
import { FakeDtlsServer } from "./fake-dtls-server.fixture.js";
import { MemoryLink } from "../gate/relay-command.fixture.js";

const PEER: Endpoint = { address: "192.0.2.7", port: 5684 };
const settle = async (): Promise<void> => {
  for (let i = 0; i < 4; i++) await Promise.resolve();
};

/** Sends later, from a job, the very bytes it was given: what the contract forbids. */
class KeepingLink {
  readonly arrived: Uint8Array[] = [];
  send(datagram: Uint8Array): void {
    void Promise.resolve().then(() => this.arrived.push(datagram.slice()));
  }
}

/** A raw link that hands on a copy of what it is sent (a socket that sends at once). */
class CopyingLink extends LinkReceivers implements DatagramLink {
  readonly maxDatagramSize = 1500;
  readonly arrived: Uint8Array[] = [];
  send(datagram: Uint8Array): void {
    this.arrived.push(datagram.slice());
  }
  close(): void {}
  receive(bytes: Uint8Array, from: Endpoint): void {
    this.deliver(bytes, from);
  }
}

test("send contract: the check fails for a link that keeps the bytes past send, and holds for one that copies", async () => {
  const keeping = new KeepingLink();
  let caught = "";
  try {
    await checkSendReleasesBytes(keeping, PEER, async () => {
      await settle();
      return keeping.arrived;
    });
  } catch (error) {
    caught = error instanceof Error ? error.message : String(error); // an assertion: assert.rejects passes those on
  }
  assert.ok(caught.includes("must not keep the bytes"), `the check catches a link that keeps the bytes (got "${caught}")`);
  const copying = new CopyingLink();
  await checkSendReleasesBytes(copying, PEER, async () => copying.arrived);
});

test("send contract: ReconnectingLink, while connecting (its queue) and once connected", async () => {
  let resolveLink: ((l: DatagramLink) => void) | undefined;
  const connect = (_attempt: ConnectAttempt): Promise<DatagramLink> => new Promise((resolve) => (resolveLink = resolve));
  const link = new ReconnectingLink(connect, { maxDatagramSize: 1500 });
  const inner = new CopyingLink();
  await checkSendReleasesBytes(link, PEER, async () => {
    resolveLink!(inner); // the queued two leave on connect
    await settle();
    return inner.arrived;
  });
  assert.equal(link.connected, true);
  inner.arrived.length = 0;
  await checkSendReleasesBytes(link, PEER, async () => inner.arrived);
});

test("send contract: DtlsServerDriver encrypts what it is sent before send returns", async () => {
  const clock = new FakeClock(1000);
  const raw = new CopyingLink();
  let server: FakeDtlsServer | undefined;
  const driver = new DtlsServerDriver({ raw, open: (table) => (server = new FakeDtlsServer(table)), clock, timers: new FakeTimers(clock) });
  const peer: Endpoint = { address: "192.0.2.1", port: 40_001 };
  // The model's handshake: hello, hello with the cookie, then the last flight with the PSK identity.
  raw.receive(utf8Encode("hello"), peer);
  raw.receive(utf8Encode("hello+cookie"), peer);
  raw.receive(utf8Encode("finish:operator"), peer);
  assert.ok(server !== undefined);
  raw.arrived.length = 0;
  await checkSendReleasesBytes(driver, peer, async () =>
    raw.arrived.map((record) => {
      const text = utf8Decode(record);
      assert.ok(text.startsWith("enc:"), "a record of the model's encryption");
      return record.subarray(4); // the model "encrypts" by prefixing: its plaintext is what was sent
    }),
  );
  driver.close();
});

test("send contract: the gate suites' MemoryLink copies", async () => {
  const link = new MemoryLink(PEER);
  await checkSendReleasesBytes(link, PEER, async () => link.sent);
});
