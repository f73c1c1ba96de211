/**
 * The introspection answer limit end to end: `idpgate idp serve` with a tokens file whose claims make a
 * 3.5 KB answer, fetched over CoAPS with Block2 by `introspect` and `verify` (accepted under the default
 * limit of MAX_ANSWER_BYTES), and refused with idp.answer_too_large (exit 5) above the default or a
 * lower `--max-answer-bytes`. No token is printed.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, assert } from "../harness/index.js";
import { MAX_ANSWER_BYTES } from "../../src/idp/index.js";
import { cli, serve, writeTokensFile } from "../support/node/cli-process.js";

const PSK = ["--psk-id", "cli-big", "--psk", "hex:8899aabbccddeeff0011223344556677"];

/** `n` scopes, each about 22 bytes: a long scope list is one JSON token, many claims are two each. */
function scopes(n: number): string {
  return Array.from({ length: n }, (_, i) => `tenant.demo.scope-${String(i).padStart(3, "0")}`).join(" ");
}

function claims(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`claim_${i}`, `value-${i}-${"v".repeat(40)}`]));
}

test("a 3.5 KB answer comes over CoAPS with Block2 and is accepted by default; above the limit it is idp.answer_too_large", async () => {
  const t = writeTokensFile([
    { sub: "test.device.big", scope: `relay.write ${scopes(90)}`, expiresIn: 3600, claims: claims(24) },
    { sub: "test.device.huge", scope: `relay.write ${scopes(200)}`, expiresIn: 3600, claims: claims(24) },
  ]);
  const [large, huge] = t.tokens as [string, string];
  const dir = t.dir;
  // the tokens go through --token-file, out of the process list
  writeFileSync(join(dir, "large"), large);
  writeFileSync(join(dir, "huge"), huge);
  const server = await serve([...PSK, "--tokens", t.file]);
  const outputs: string[] = [];
  try {
    const ok = await cli(["introspect", server.url, "--token-file", join(dir, "large"), ...PSK]);
    outputs.push(ok.stdout, ok.stderr);
    assert.equal(ok.code, 0, ok.stderr);
    const body = JSON.parse(ok.stdout) as Record<string, unknown>;
    assert.equal(body["active"], true);
    assert.equal(body["claim_23"], `value-23-${"v".repeat(40)}`, "the extra claims of the tokens file arrive");
    const size = new TextEncoder().encode(ok.stdout.trim()).length;
    assert.ok(size >= 3400 && size <= MAX_ANSWER_BYTES, `the answer is about 3.5 KB (${size} bytes), more than one 1024-byte block`);

    const allowed = await cli(["verify", server.url, "--token-file", join(dir, "large"), "--scope", "tenant.demo.scope-089", ...PSK]);
    outputs.push(allowed.stdout, allowed.stderr);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal((JSON.parse(allowed.stdout) as { reason: string }).reason, "ok");

    const lowered = await cli(["introspect", server.url, "--token-file", join(dir, "large"), "--max-answer-bytes", "2048", ...PSK]);
    outputs.push(lowered.stdout, lowered.stderr);
    assert.equal(lowered.code, 5, lowered.stderr);
    assert.ok(/idp\.answer_too_large/.test(lowered.stderr), lowered.stderr);
    assert.equal(lowered.stdout, "");

    const over = await cli(["introspect", server.url, "--token-file", join(dir, "huge"), ...PSK]);
    outputs.push(over.stdout, over.stderr);
    assert.equal(over.code, 5, over.stderr);
    assert.ok(/idp\.answer_too_large/.test(over.stderr), over.stderr);

    const denied = await cli(["verify", server.url, "--token-file", join(dir, "huge"), "--scope", "relay.write", ...PSK]);
    outputs.push(denied.stdout, denied.stderr);
    assert.equal(denied.code, 5, denied.stderr);
    const decision = JSON.parse(denied.stdout) as { allowed: boolean; reason: string; errorCode: string };
    assert.deepEqual([decision.allowed, decision.reason, decision.errorCode], [false, "idp_error", "idp.answer_too_large"]);

    const raised = await cli(["introspect", server.url, "--token-file", join(dir, "huge"), "--max-answer-bytes", "16384", ...PSK]);
    assert.equal(raised.code, 0, raised.stderr);
  } finally {
    assert.equal(await server.stop(), 0);
    t.remove();
  }
  outputs.push(server.stderr());
  for (const text of outputs) assert.ok(!text.includes(large) && !text.includes(huge), "a token appeared in CLI or provider output");
});
