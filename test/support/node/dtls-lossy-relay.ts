/**
 * A UDP relay between one client and one server that drops datagrams at a given rate, from a fixed,
 * printed seed (xorshift32), for DTLS handshake tests under loss. Written for test/dtls because
 * test/support/node/lossy-relay.ts did not exist yet.
 */
import dgram from "node:dgram";

export interface LossyRelay {
  readonly port: number;
  readonly stats: { forwarded: number; dropped: number };
  close(): void;
}

export async function startLossyRelay(target: { address: string; port: number }, lossRate: number, seed: number): Promise<LossyRelay> {
  let state = seed >>> 0 || 1;
  const rand = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
  const front = dgram.createSocket("udp4");
  const back = dgram.createSocket("udp4");
  const stats = { forwarded: 0, dropped: 0 };
  let client: { address: string; port: number } | undefined;
  front.on("message", (msg, rinfo) => {
    client = { address: rinfo.address, port: rinfo.port };
    if (rand() < lossRate) stats.dropped++;
    else {
      stats.forwarded++;
      back.send(msg, target.port, target.address);
    }
  });
  back.on("message", (msg) => {
    if (client === undefined) return;
    if (rand() < lossRate) stats.dropped++;
    else {
      stats.forwarded++;
      front.send(msg, client.port, client.address);
    }
  });
  await Promise.all([
    new Promise<void>((r) => front.bind(0, "127.0.0.1", () => r())),
    new Promise<void>((r) => back.bind(0, "127.0.0.1", () => r())),
  ]);
  return {
    port: front.address().port,
    stats,
    close(): void {
      front.close();
      back.close();
    },
  };
}
