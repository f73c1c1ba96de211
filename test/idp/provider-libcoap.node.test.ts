/**
 * The local identity provider speaks IDP-API.md to an independent client: libcoap's coap-client (OpenSSL
 * and GnuTLS builds) POSTs over DTLS PSK and gets each documented answer, also with the request body in
 * Block1 blocks (RFC 7959), and 4.15 for a body that is not application/json.
 */
import { execFile } from "node:child_process";
import { test, assert } from "../harness/index.js";
import { requireTool } from "../support/node/libcoap.js";
import { assertBlock1Upload, runCoapClient } from "../support/node/coap-client-log.js";
import { CLIENT_ID, CLIENT_SECRET, PSK_IDENTITY, PSK_KEY, startIdp, type IdpFixture } from "../support/node/idp-fixture.js";
import { LARGE_FAULT_PADDING } from "../../hosts/node/idp/provider.js";

interface Outcome {
  /** "2.01" when libcoap printed a payload only (it prints the code for non-2.xx answers). */
  readonly code: string;
  readonly body: unknown;
}

function coapClient(tool: string, idp: IdpFixture, method: string, payload?: unknown): Promise<Outcome> {
  const args = ["-m", method, "-u", PSK_IDENTITY, "-k", PSK_KEY, "-B", "10"];
  if (payload !== undefined) args.push("-t", "50", "-e", JSON.stringify(payload));
  args.push(`coaps://127.0.0.1:${idp.port}/idp/introspect`);
  return new Promise((resolve, reject) => {
    execFile(requireTool(tool), args, { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error && error.killed) return reject(new Error(`${tool} did not finish`));
      const text = `${stdout}${stderr}`
        .split("\n")
        .filter((l) => !/^\w{3} \d+ [\d:.]+ /.test(l))
        .join("\n")
        .trim();
      const m = /^([245]\.\d\d)\s*(.*)$/s.exec(text);
      const code = m ? m[1]! : "2.01";
      const rest = m ? m[2]! : text;
      let body: unknown = rest;
      try {
        body = rest === "" ? undefined : JSON.parse(rest);
      } catch {
        // not JSON: keep the text for the assertion message
      }
      resolve({ code, body });
    });
  });
}

for (const tool of ["coap-client-openssl", "coap-client-gnutls"]) {
  test(`${tool} gets every documented answer from the local provider over DTLS PSK`, async () => {
    const idp = await startIdp();
    try {
      const active = await coapClient(tool, idp, "post", { token: idp.valid });
      assert.equal(active.code, "2.01");
      const claims = active.body as Record<string, unknown>;
      assert.equal(claims["active"], true);
      assert.equal(claims["sub"], "test.device.01");
      assert.equal(claims["scope"], "tenant.demo relay.write");
      assert.equal(typeof claims["exp"], "number");
      assert.equal(typeof claims["iss"], "string");
      for (const token of [idp.expired, idp.unknown]) {
        const inactive = await coapClient(tool, idp, "post", { token });
        assert.equal(inactive.code, "2.01");
        assert.deepEqual(inactive.body, { active: false });
      }
      const wrongMethod = await coapClient(tool, idp, "put", { token: idp.valid });
      assert.equal(wrongMethod.code, "4.05");
      assert.equal(wrongMethod.body, undefined, "4.05 has no payload");
    } finally {
      await idp.close();
    }
    assert.ok(!idp.log.join("\n").includes(idp.valid), "the provider never logs a token");
  });

  test(`${tool}: 4.01 FORBIDDEN when client credentials are required and wrong, 2.01 when right`, async () => {
    const idp = await startIdp({ requireClient: true });
    try {
      const wrong = await coapClient(tool, idp, "post", { token: idp.valid, client_id: CLIENT_ID, client_secret: "nope" });
      assert.equal(wrong.code, "4.01");
      assert.deepEqual(wrong.body, {
        error: "FORBIDDEN",
        error_uri: "idp.local.idpgate",
        error_description: "The requested action was forbidden",
      });
      const missing = await coapClient(tool, idp, "post", { token: idp.valid });
      assert.equal(missing.code, "4.01");
      const right = await coapClient(tool, idp, "post", { token: idp.valid, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
      assert.equal(right.code, "2.01");
      assert.equal((right.body as { active?: unknown }).active, true);
    } finally {
      await idp.close();
    }
  });

  test(`${tool}: 5.00 with the nested error object when the provider fails`, async () => {
    const idp = await startIdp({ faults: { delayMs: 0, drop: 0, error500: 1, garbage: 0, large: 0 } });
    try {
      const failed = await coapClient(tool, idp, "post", { token: idp.valid });
      assert.equal(failed.code, "5.00");
      const error = (failed.body as { error?: Record<string, unknown> }).error;
      assert.ok(error !== undefined, "a nested error object");
      assert.equal(error["code"], 500);
      assert.equal(error["status"], "Internal Server Error");
      assert.equal(typeof error["request"], "string");
      assert.equal(typeof error["message"], "string");
    } finally {
      await idp.close();
    }
  });
}

test("coap-client-openssl reassembles a large (Block2) answer from the provider", async () => {
  const idp = await startIdp({ faults: { delayMs: 0, drop: 0, error500: 0, garbage: 0, large: 1 } });
  try {
    const big = await coapClient("coap-client-openssl", idp, "post", { token: idp.valid });
    assert.equal(big.code, "2.01");
    const claims = big.body as { active?: unknown; padding?: unknown[] };
    assert.equal(claims.active, true);
    assert.equal(claims.padding?.length, LARGE_FAULT_PADDING);
  } finally {
    await idp.close();
  }
});

for (const tool of ["coap-client-openssl", "coap-client-gnutls"]) {
  test(`${tool} -b 16 POSTs an introspection request in 16-byte Block1 blocks over CoAPS; the provider reassembles it and answers once`, async () => {
    const idp = await startIdp();
    try {
      const body = JSON.stringify({ token: idp.valid });
      const run = await runCoapClient(
        [
          ...["-m", "post", "-u", PSK_IDENTITY, "-k", PSK_KEY, "-B", "10", "-b", "16", "-t", "50", "-e", body],
          `coaps://127.0.0.1:${idp.port}/idp/introspect`,
        ],
        tool,
      );
      assertBlock1Upload(run, body.length, 16, "2.01");
      const claims = run.body as { active?: unknown; sub?: unknown };
      assert.equal(claims.active, true, "the answer to the whole body");
      assert.equal(claims.sub, "test.device.01");
      assert.equal(
        idp.log.filter((l) => l.includes("POST /idp/introspect")).length,
        1,
        "the provider ran the request once, on the whole body",
      );
    } finally {
      await idp.close();
    }
    assert.ok(!idp.log.join("\n").includes(idp.valid), "the provider never logs a token");
  });
}

test("the provider answers 4.15 to an introspection request without Content-Format 50 (none, or text/plain 0), also in Block1 blocks", async () => {
  const idp = await startIdp();
  try {
    const body = JSON.stringify({ token: idp.valid });
    const url = `coaps://127.0.0.1:${idp.port}/idp/introspect`;
    const base = ["-m", "post", "-u", PSK_IDENTITY, "-k", PSK_KEY, "-B", "10", "-e", body];
    for (const extra of [[], ["-t", "0"], ["-t", "0", "-b", "16"]]) {
      const run = await runCoapClient([...base, ...extra, url]);
      assert.equal(run.answer?.code, "4.15", `coap-client ${extra.join(" ")}: 4.15 Unsupported Content-Format`);
    }
    assert.ok(!idp.log.some((l) => l.includes("introspect tok:")), "no token was looked up");
  } finally {
    await idp.close();
  }
});
