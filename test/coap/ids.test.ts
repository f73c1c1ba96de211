/**
 * Tokens of the client engine (RFC 7252 §5.3.1): never one still in use, never one of the RECENT_TOKENS most
 * recently retired (a late answer to a finished exchange cannot match a new one), kept in a fixed ring.
 */
import { test, assert } from "../harness/index.js";
import { IdAllocator } from "../../src/coap/_ids.js";
import { RECENT_TOKENS } from "../../src/coap/index.js";

/** A random source that hands out the queued 2-byte values in turn (the MID draw takes the first). */
function scripted(values: number[]): { fill(bytes: Uint8Array): void } {
  let i = 0;
  return {
    fill(bytes: Uint8Array): void {
      const v = values[i++ % values.length]!;
      for (let k = 0; k < bytes.length; k++) bytes[k] = k === 0 ? v >> 8 : v & 0xff;
    },
  };
}

test("IdAllocator skips a retired token and one in use, and forgets a retired one after RECENT_TOKENS more", () => {
  const ids = new IdAllocator(scripted([0x0102, 0x0a0b, 0x0a0b, 0x0c0d]), 2);
  const [first, key] = ids.newToken(() => false);
  assert.bytesEqual(first, [0x0a, 0x0b]);
  ids.retire(first);
  const [second] = ids.newToken(() => false); // 0x0a0b again: recently retired, so the next draw
  assert.bytesEqual(second, [0x0c, 0x0d]);
  const inUse = new IdAllocator(scripted([0x0102, 0x0a0b, 0x0c0d]), 2);
  assert.bytesEqual(inUse.newToken((k) => k === key)[0], [0x0c, 0x0d], "a token in use is skipped");
  const again = new IdAllocator(scripted([0x0a0b]), 2); // every draw is 0a0b
  again.retire(Uint8Array.of(0x0a, 0x0b));
  assert.throws(() => again.newToken(() => false), { code: "coap.token_exhausted" });
  for (let i = 0; i < RECENT_TOKENS; i++) again.retire(Uint8Array.of(0xf0, i));
  assert.bytesEqual(again.newToken(() => false)[0], [0x0a, 0x0b], "forgotten after RECENT_TOKENS newer ones");
});
