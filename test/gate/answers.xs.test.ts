/**
 * The gate's answer table under XS's compacting collector. An array written past its end is sparse in XS,
 * and a sparse array whose chunk an append over-allocated is misread by the compacting sweep: it walks the
 * spare capacity as values (docs/CONVENTIONS.md, "XS engine"). The gate's table once stored answer kind k
 * at index k, so "allowed" (0) then "wrong scope" (10) and a GET /stats (a collection) killed the device.
 * Here the spare capacity is filled with bytes that read as a string slot with a wild pointer, answers are
 * asked for in a scattered order with allocations between them, and the heap is collected after each: with
 * the old table the host dies with SIGSEGV in fxSweepValue; now every answer survives, kept once.
 */
import { test, assert } from "../harness/index.js";
import { utf8Decode, type ServerAnswer } from "../../src/coap/index.js";
import type { DecisionReason } from "../../src/verifier/index.js";
import { DecisionAnswers, type RelayState } from "../../examples/gate/app.js";
import { gc } from "../../hosts/xs/js/host.js";

/** Leaves the free chunk memory full of 0x05 bytes (XS_STRING_KIND, and a pointer 0x0505...): compaction keeps them there. */
function poisonFreeChunks(): void {
  let junk: string[] | null = [];
  for (let i = 0; i < 120; i++) junk.push("\u0005".repeat(200) + String(i));
  junk = null;
  gc();
}

const ASKED: readonly [boolean, DecisionReason, boolean, RelayState | undefined][] = [
  [true, "ok", false, "on"],
  [false, "scope", false, undefined],
  [false, "malformed", true, undefined],
  [true, "ok", true, "off"],
  [false, "inactive", false, undefined],
  [false, "idp_unavailable", false, undefined],
  [true, "ok", true, "on"],
];

test("answers asked for out of kind order survive compacting collections, each encoded once", () => {
  poisonFreeChunks();
  const answers = new DecisionAnswers();
  const spacers: string[] = [];
  const first: ServerAnswer[] = [];
  for (const [allowed, reason, fromCache, state] of ASKED) {
    first.push(answers.get(allowed, reason, fromCache, state));
    spacers.push("spacer-".repeat(8) + String(spacers.length)); // a chunk above the table's: no in-place growth
    gc();
  }
  poisonFreeChunks();
  gc();
  assert.equal(answers.size, ASKED.length);
  ASKED.forEach(([allowed, reason, fromCache, state], i) => {
    const a = answers.get(allowed, reason, fromCache, state);
    assert.ok(a === first[i], `answer ${i} is the one kept`);
    const json = JSON.parse(utf8Decode(a.payload!)) as { allowed: boolean; reason: string; fromCache: boolean };
    assert.deepEqual([json.allowed, json.reason, json.fromCache], [allowed, reason, fromCache]);
  });
  assert.equal(spacers.length, ASKED.length);
});
