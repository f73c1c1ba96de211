/**
 * The DatagramLink.send contract (src/ports.ts): a link is done with the bytes when send returns. The CoAP
 * server engine writes its next reply into the buffer it just sent (issue 13), so a link that kept the bytes
 * (sent them later without a copy) would send a later reply, or garbage, in place of this one.
 *
 * The check sends two datagrams from one buffer, overwriting it as soon as each send returns, and asks the
 * peer for what arrived: both must be as they were when sent.
 */
import { assert } from "../harness/index.js";
import type { Endpoint } from "../../src/ports.js";

/** The part of a link the contract is about. */
export interface Sender {
  send(datagram: Uint8Array, to: Endpoint): void;
}

const LENGTH = 24;

/** The `k`th datagram of the check: bytes no other one has. */
function pattern(k: number): Uint8Array {
  const bytes = new Uint8Array(LENGTH);
  for (let i = 0; i < LENGTH; i++) bytes[i] = (0x40 + k * 0x20 + i) & 0xff;
  return bytes;
}

/**
 * Checks `link` against the contract: `arrived(n)` resolves to what the peer at `to` received once `n`
 * datagrams have arrived (or to what did, after the caller's own wait).
 */
export async function checkSendReleasesBytes(
  link: Sender,
  to: Endpoint,
  arrived: (n: number) => Promise<readonly Uint8Array[]>,
): Promise<void> {
  const buffer = new Uint8Array(LENGTH);
  for (let k = 0; k < 2; k++) {
    buffer.set(pattern(k));
    link.send(buffer, to);
    buffer.fill(0xee); // written again as soon as send returns, as the server engine's reply buffer is
  }
  const got = await arrived(2);
  assert.equal(got.length, 2, "both datagrams arrived");
  for (let k = 0; k < 2; k++)
    assert.bytesEqual(got[k]!, pattern(k), `datagram ${k} arrived as it was when sent: the link must not keep the bytes past send`);
}
