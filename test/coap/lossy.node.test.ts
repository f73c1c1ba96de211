/**
 * Reliability against a real peer over a bad network: our client and libcoap's server through a
 * seeded UDP relay with 30% loss, 10% duplicates and some reordering. 100 CON POSTs, each to its own
 * new resource, must each complete exactly once within MAX_TRANSMIT_WAIT, and the server must see
 * each logical request as one message (one MID and token, however often it arrives).
 *
 * Note: libcoap 4.3.1's example server does not deduplicate CON requests (RFC 7252 §4.5): a duplicate
 * of a POST is handled again and answered 2.04 Changed. So the answer a client sees may be 2.01 (first
 * handling) or 2.04 (the answer to a duplicate whose predecessor's ACK was lost); what our client
 * controls, and what is checked against the server's own log, is that every logical request is a
 * single (MID, token) message.
 */
import { test } from "node:test";
import { assert } from "../harness/index.js";
import { CoapClient, decodeMessage, maxTransmitWait, transmissionParams } from "../../src/coap/index.js";
import { UdpLink } from "../../hosts/node/udp-link.js";
import { nodePorts } from "../../hosts/node/ports.js";
import { startLibcoapServer } from "../support/node/libcoap.js";
import { LossyRelay } from "../support/node/lossy-relay.js";

const REQUESTS = 100;
const SEED = 0x7252;

test(
  `${REQUESTS} CON requests through 30% loss, 10% duplication and reordering complete exactly once (relay seed ${SEED})`,
  { timeout: 90_000 },
  async () => {
    const server = await startLibcoapServer();
    const midsToServer = new Set<number>();
    let toServer = 0;
    const relay = await LossyRelay.start({
      serverPort: server.port,
      seed: SEED,
      loss: 0.3,
      duplicate: 0.1,
      reorder: 0.1,
      maxDelayMs: 15,
      tap: (d, dir) => {
        const m = dir === "to-server" ? decodeMessage(d) : null;
        if (m !== null && m.type === 0 && m.code === 2) {
          midsToServer.add(m.messageId);
          toServer++;
        }
      },
    });
    // Short ACK_TIMEOUT so 100 sequential exchanges fit in seconds; MAX_RETRANSMIT raised so that 30%
    // loss each way (49% per attempt) almost never exhausts the retries.
    const params = transmissionParams({ ackTimeoutMs: 25, maxRetransmit: 10 });
    const client = new CoapClient(await UdpLink.open({ family: 4 }), nodePorts(), { params });
    const limit = maxTransmitWait(params);
    const clock = nodePorts().clock;
    const completions = new Map<number, number>();
    const codes: string[] = [];
    let slowest = 0;
    try {
      for (let i = 0; i < REQUESTS; i++) {
        const start = clock.now();
        const r = await client.request({
          method: "POST",
          url: `coap://127.0.0.1:${relay.port}/lossy-${i}`,
          payload: `n=${i}`,
          contentFormat: 0,
        });
        slowest = Math.max(slowest, clock.now() - start);
        completions.set(i, (completions.get(i) ?? 0) + 1);
        codes.push(r.code);
      }
    } finally {
      client.close();
      relay.close();
      await server.stop();
    }
    const log = server.log();
    assert.equal(completions.size, REQUESTS);
    for (const n of completions.values()) assert.equal(n, 1);
    for (const c of codes) assert.equal(c === "2.01" || c === "2.04", true, `unexpected answer ${c}`);
    assert.equal(midsToServer.size, REQUESTS, "one MID per logical request on the wire");
    const handled = new Map<number, Set<string>>();
    let handlings = 0;
    for (const m of log.matchAll(/t:CON c:POST i:([0-9a-f]+) \{([0-9a-f]*)\} \[ Uri-Path:lossy-(\d+)/g)) {
      const n = Number(m[3]);
      handlings++;
      if (!handled.has(n)) handled.set(n, new Set());
      handled.get(n)?.add(`${m[1]}/${m[2]}`);
    }
    assert.equal(handled.size, REQUESTS, "the server saw every request");
    for (const [n, ids] of handled) assert.equal(ids.size, 1, `request ${n} reached the server as ${ids.size} different messages`);
    assert.equal(toServer > REQUESTS, true, "retransmissions happened");
    assert.equal(relay.stats.dropped > 0 && relay.stats.duplicated > 0 && relay.stats.delayed > 0, true);
    assert.equal(slowest <= limit, true, `slowest request took ${slowest} ms, MAX_TRANSMIT_WAIT is ${limit} ms`);
    process.stdout.write(
      `# lossy: ${JSON.stringify(relay.stats)} datagrams to server ${toServer}, server handlings ${handlings} (2.04: ${codes.filter((c) => c === "2.04").length}), slowest ${Math.round(slowest)} ms, limit ${limit} ms\n`,
    );
  },
);
