// The DatagramLink.send contract (src/ports.ts, test/link/send-contract.fixture.ts) on Node's links over real
// loopback sockets: UdpLink and the plain UDP server transport (dgram reads the bytes after send returns:
// both copy), and the native DTLS links both ways (mbedtls encrypts into its own record at once).
import { test } from "node:test";
import dgram from "node:dgram";
import { checkSendReleasesBytes } from "./send-contract.fixture.js";
import { UdpLink } from "../../hosts/node/udp-link.js";
import { listenUdp } from "../../hosts/node/server-transport.js";
import { DtlsLink, DtlsServerSocket } from "../../hosts/node/dtls/index.js";
import { requireAddon } from "../support/node/dtls-peers.js";
import type { Endpoint } from "../../src/ports.js";

const WAIT_MS = 2000;
const PSK = { identity: "device-1", key: "hex:00112233445566778899aabbccddeeff" };

/** What reaches `count` datagrams, or what came within WAIT_MS. */
function collector(): { readonly got: Uint8Array[]; add(d: Uint8Array): void; arrived(n: number): Promise<readonly Uint8Array[]> } {
  const got: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  return {
    got,
    add(d: Uint8Array): void {
      got.push(Uint8Array.from(d));
      wake?.();
    },
    async arrived(n: number): Promise<readonly Uint8Array[]> {
      const deadline = Date.now() + WAIT_MS;
      while (got.length < n && Date.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
      return got;
    },
  };
}

async function receiver(): Promise<{ socket: dgram.Socket; to: Endpoint; c: ReturnType<typeof collector> }> {
  const c = collector();
  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg) => c.add(msg));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { socket, to: { address: "127.0.0.1", port: socket.address().port }, c };
}

test("send contract: UdpLink (a socket not bound yet, then bound)", async () => {
  const r = await receiver();
  const link = new UdpLink({ bindAddress: "127.0.0.1" });
  try {
    await checkSendReleasesBytes(link, r.to, (n) => r.c.arrived(n)); // the first send binds the socket
    r.c.got.length = 0;
    await checkSendReleasesBytes(link, r.to, (n) => r.c.arrived(n));
  } finally {
    link.close();
    r.socket.close();
  }
});

test("send contract: the plain UDP server transport", async () => {
  const r = await receiver();
  const transport = await listenUdp(0);
  try {
    await checkSendReleasesBytes(transport, r.to, (n) => r.c.arrived(n));
  } finally {
    await transport.close();
    r.socket.close();
  }
});

test("send contract: the native DTLS links, client to server and server to client", async () => {
  requireAddon();
  const server = await DtlsServerSocket.listen({ port: 0, psk: PSK });
  const atServer = collector();
  const peers: Endpoint[] = [];
  server.onDatagram((d, from) => {
    peers.push(from);
    atServer.add(d);
  });
  const link = await DtlsLink.connect({ host: "127.0.0.1", port: server.port, psk: PSK });
  const atClient = collector();
  link.onDatagram((d) => atClient.add(d));
  try {
    await checkSendReleasesBytes(link, link.peer, (n) => atServer.arrived(n));
    await checkSendReleasesBytes(server, peers[0]!, (n) => atClient.arrived(n)); // to the client it heard from
  } finally {
    link.close();
    server.close();
  }
});
