/**
 * The CLI end to end: `idpgate idp serve` as a real process, then `introspect`, `verify` and
 * `coap ... coaps://` against it over DTLS PSK, checking exit codes and that no token is ever printed.
 */
import { test, assert } from "../harness/index.js";
import { cli, serve as serveCli, writeTokensFile, type Serve } from "../support/node/cli-process.js";

const PSK = ["--psk-id", "cli-test", "--psk", "hex:00112233445566778899aabbccddeeff"];

function serve(extra: readonly string[], tokensFile: string): Promise<Serve> {
  return serveCli([...PSK, "--tokens", tokensFile, ...extra]);
}

function tokens(): { file: string; valid: string; wrongScope: string; remove(): void } {
  const t = writeTokensFile([
    { sub: "test.device.01", scope: "tenant.demo relay.write", expiresIn: 3600 },
    { sub: "test.device.02", scope: "telemetry.read", expiresIn: 3600 },
  ]);
  return { file: t.file, valid: t.tokens[0]!, wrongScope: t.tokens[1]!, remove: t.remove };
}

test("idpgate introspect / verify / coap against idpgate idp serve: exit codes and no token in any output", async () => {
  const t = tokens();
  const server = await serve([], t.file);
  const outputs: string[] = [];
  try {
    const active = await cli(["introspect", server.url, "--token", t.valid, ...PSK]);
    outputs.push(active.stdout, active.stderr);
    assert.equal(active.code, 0, active.stderr);
    const claims = JSON.parse(active.stdout) as Record<string, unknown>;
    assert.equal(claims["active"], true);
    assert.equal(claims["sub"], "test.device.01");

    const inactive = await cli(["introspect", server.url, "--token", "no-such-token", ...PSK]);
    assert.equal(inactive.code, 1);
    assert.deepEqual(JSON.parse(inactive.stdout), { active: false });

    const allowed = await cli(["verify", server.url, "--token", t.valid, "--scope", "relay.write", ...PSK]);
    outputs.push(allowed.stdout, allowed.stderr);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal((JSON.parse(allowed.stdout) as { reason: string }).reason, "ok");

    const denied = await cli(["verify", server.url, "--token", t.wrongScope, "--scope", "relay.write", ...PSK]);
    outputs.push(denied.stdout, denied.stderr);
    assert.equal(denied.code, 1);
    assert.equal((JSON.parse(denied.stdout) as { reason: string }).reason, "scope");

    const wrongKey = await cli([
      "introspect",
      server.url,
      "--token",
      t.valid,
      "--psk-id",
      "cli-test",
      "--psk",
      "hex:ffee",
      "--timeout",
      "3000",
    ]);
    outputs.push(wrongKey.stdout, wrongKey.stderr);
    assert.equal(wrongKey.code, 3, "no answer");
    assert.ok(/dtls\.bad_psk/.test(wrongKey.stderr), wrongKey.stderr);

    const get = await cli(["coap", "get", server.url, ...PSK]);
    assert.equal(get.code, 1);
    assert.ok(get.stdout.startsWith("4.05"), get.stdout);

    const usage = await cli(["introspect", server.url, ...PSK]);
    assert.equal(usage.code, 2);
    const noCredentials = await cli(["verify", server.url, "--token", t.valid]);
    assert.equal(noCredentials.code, 2);
  } finally {
    assert.equal(await server.stop(), 0, "idp serve stops cleanly on SIGTERM");
    t.remove();
  }
  outputs.push(server.stderr());
  for (const text of outputs) {
    assert.ok(!text.includes(t.valid) && !text.includes(t.wrongScope), "a token appeared in CLI or provider output");
  }
  assert.ok(/tok:[0-9a-f]{8}/.test(server.stderr()), "the provider logs tokens as digest tags");
});

test("idpgate introspect exits 4 when the provider refuses the client credentials", async () => {
  const t = tokens();
  const server = await serve(["--client", "gate:s3cret"], t.file);
  try {
    const refused = await cli([
      "introspect",
      server.url,
      "--token",
      t.valid,
      "--client-id",
      "gate",
      "--client-secret",
      "wrong-secret-7f3a",
      ...PSK,
    ]);
    assert.equal(refused.code, 4, refused.stderr);
    assert.ok(/idp\.unauthorized/.test(refused.stderr));
    assert.ok(!refused.stderr.includes("wrong-secret-7f3a") && !refused.stdout.includes("wrong-secret-7f3a"), "the secret is not echoed");
    const ok = await cli(["introspect", server.url, "--token", t.valid, "--client-id", "gate", "--client-secret", "s3cret", ...PSK]);
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await server.stop();
    t.remove();
  }
});

test("idpgate idp serve refuses bad flags with exit 2", async () => {
  assert.equal((await cli(["idp", "serve", "--fault", "drop=2"])).code, 2);
  assert.equal((await cli(["idp", "serve", "--psk-id", "x"])).code, 2);
  assert.equal((await cli(["idp", "bogus"])).code, 2);
});
