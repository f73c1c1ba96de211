/**
 * The CLI's usage errors and help, as real processes: malformed credentials, files and tokens are usage
 * errors (exit 2, one line on stderr, no secret or file byte echoed) found before any packet is sent;
 * `--help` after any subcommand exits 0 and states every option's default.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { test, assert } from "../harness/index.js";
import { MAX_ANSWER_BYTES, INTROSPECT_TIMEOUT_MS } from "../../src/idp/index.js";
import { cli, serve, type CliRun } from "../support/node/cli-process.js";
import { makePki } from "../support/node/dtls-peers.js";

// Nothing listens on port 9 (discard) of loopback: a command that got past its arguments fails with 3
// after its timeout, which is what these cases did before they were usage errors.
const NOWHERE = "coaps://127.0.0.1:9/idp/introspect";
const QUICK = ["--timeout", "1500"];
const SECRET_PSK_TEXT = `psk-${randomBytes(150).toString("hex")}`; // 304 characters, above any PSK limit

/** Exit 2 with exactly one line on stderr naming what is wrong, and none of `secrets` anywhere. */
function assertUsageError(r: CliRun, what: string, secrets: readonly string[], mentions: RegExp): void {
  assert.equal(r.code, 2, `${what}: exit code (stderr: ${r.stderr.slice(0, 200)})`);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `${what}: one line on stderr, got ${lines.length}`);
  assert.ok(mentions.test(lines[0]!), `${what}: the line names the problem: ${lines[0]!}`);
  for (const s of secrets) assert.ok(!r.stderr.includes(s) && !r.stdout.includes(s), `${what}: a secret was echoed`);
}

const BAD_PSKS: readonly { readonly name: string; readonly psk: string }[] = [
  { name: "hex:xyz", psk: "hex:xyz" },
  { name: "hex:123 (odd digits)", psk: "hex:123" },
  { name: "hex: (no digits)", psk: "hex:" },
  { name: "empty", psk: "" },
  { name: "300 bytes", psk: SECRET_PSK_TEXT },
];

for (const { name, psk } of BAD_PSKS) {
  test(`a malformed --psk (${name}) is a usage error of introspect, verify, coap and idp serve`, async () => {
    const flags = ["--psk-id", "dev", "--psk", psk];
    const secrets = psk.length > 4 ? [psk, psk.slice(4)] : [];
    for (const [what, args] of [
      ["introspect", ["introspect", NOWHERE, "--token", "t", ...flags, ...QUICK]],
      ["verify", ["verify", NOWHERE, "--token", "t", ...flags, ...QUICK]],
      ["coap", ["coap", "get", NOWHERE, ...flags, "--timeout", "1500"]],
      ["idp serve", ["idp", "serve", "--port", "0", ...flags]],
    ] as const) {
      assertUsageError(await cli(args), `${what} --psk ${name}`, secrets, /--psk/);
    }
  });
}

test("an empty --psk-id is a usage error", async () => {
  const r = await cli(["introspect", NOWHERE, "--token", "t", "--psk-id", "", "--psk", "hex:00112233", ...QUICK]);
  assertUsageError(r, "empty --psk-id", ["00112233"], /--psk-id/);
});

test("an unreadable or garbage --ca is a usage error; its bytes are not echoed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "idpgate-cli-ca-"));
  try {
    const garbage = join(dir, "garbage.pem");
    const marker = `NOT-A-CERTIFICATE-${randomBytes(8).toString("hex")}`;
    writeFileSync(garbage, `-----BEGIN CERTIFICATE-----\n${marker}\n-----END CERTIFICATE-----\n`);
    const cases: readonly (readonly [string, string])[] = [
      ["missing file", join(dir, "absent.pem")],
      ["a directory", dir],
      ["garbage PEM", garbage],
    ];
    for (const [what, ca] of cases) {
      assertUsageError(await cli(["introspect", NOWHERE, "--token", "t", "--ca", ca, ...QUICK]), `--ca ${what}`, [marker], /CA|--ca/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("usable certificate files pass the checks: idp serve --cert/--key, introspect --ca as PEM and as DER", async () => {
  const pki = makePki();
  const server = await serve(["--cert", pki.files.serverCert, "--key", pki.files.serverKey]);
  try {
    const der = join(pki.dir, "ca.der");
    execFileSync("openssl", ["x509", "-in", pki.files.ca, "-outform", "DER", "-out", der]);
    for (const ca of [pki.files.ca, der]) {
      const r = await cli(["introspect", server.url, "--token", "no-such-token", "--ca", ca, "--server-name", "localhost", ...QUICK]);
      assert.equal(r.code, 1, `--ca ${ca}: an inactive answer (${r.stderr})`);
    }
    const untrusted = await cli([
      "introspect",
      server.url,
      "--token",
      "t",
      "--ca",
      pki.files.otherCa,
      "--server-name",
      "localhost",
      ...QUICK,
    ]);
    assert.equal(untrusted.code, 3, "a valid but wrong CA is a DTLS failure, not a usage error");
  } finally {
    await server.stop();
    pki.cleanup();
  }
});

test("idp serve --tokens: a missing or invalid file is a usage error that echoes nothing of the file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "idpgate-cli-tokens-"));
  try {
    const token = randomBytes(75).toString("base64url");
    const files: Record<string, string> = {
      "not JSON": `[{"token": "${token}", "sub": "d", "scope": "s",,]`,
      "not an array": JSON.stringify({ token, sub: "d", scope: "s" }),
      "an entry without sub": JSON.stringify([{ token, scope: "s" }]),
      "a non-number expiresIn": JSON.stringify([{ token, sub: "d", scope: "s", expiresIn: token }]),
      "claims that are not an object": JSON.stringify([{ token, sub: "d", scope: "s", claims: [token] }]),
      "a well-known claim in claims": JSON.stringify([{ token, sub: "d", scope: "s", claims: { active: false } }]),
      "an unknown field": JSON.stringify([{ token, sub: "d", scope: "s", [token]: 1 }]),
      "a repeated token": JSON.stringify([
        { token, sub: "d", scope: "s" },
        { token, sub: "e", scope: "s" },
      ]),
    };
    const runs: [string, string][] = [["a missing file", join(dir, "absent.json")]];
    for (const [what, text] of Object.entries(files)) {
      const path = join(dir, `${runs.length}.json`);
      writeFileSync(path, text);
      runs.push([what, path]);
    }
    for (const [what, path] of runs) {
      const r = await cli(["idp", "serve", "--port", "0", "--psk-id", "dev", "--psk", "hex:00112233", "--tokens", path]);
      assertUsageError(r, `--tokens with ${what}`, [token, token.slice(0, 12)], /tokens file/);
      assert.ok(!/[[\]{}]/.test(r.stderr), `${what}: no JSON of the file in the message`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("verify: a token that cannot be sent (too long) decides `malformed` and exits 2, without printing the token", async () => {
  const token = `x${randomBytes(1100).toString("hex")}`; // 2201 characters, above MAX_TOKEN_LENGTH
  const r = await cli(["verify", NOWHERE, "--token", token, "--psk-id", "dev", "--psk", "hex:00112233", ...QUICK]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { reason: string }).reason, "malformed");
  assert.ok(!r.stdout.includes(token.slice(0, 40)) && !r.stderr.includes(token.slice(0, 40)), "the token is not printed");
});

const HELP_CASES: readonly (readonly string[])[] = [
  ["--help"],
  ["coap", "--help"],
  ["coap", "get", "coap://127.0.0.1/x", "-h"],
  ["idp", "--help"],
  ["idp", "serve", "--help"],
  ["idp", "serve", "--port", "0", "--help"],
  ["introspect", "--help"],
  ["verify", "--help"],
  ["verify", NOWHERE, "--token", "t", "--psk", "hex:zz", "--help"],
];

for (const args of HELP_CASES) {
  test(`idpgate ${args.join(" ")} prints the usage with every option's default and exits 0`, async () => {
    const r = await cli(args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.ok(r.stdout.startsWith("usage: idpgate"), r.stdout.slice(0, 80));
    const options = r.stdout.split("\n").filter((l) => /^ {2}-/.test(l));
    if (args.length === 1) return; // the command list
    assert.ok(options.length >= 5, `options listed: ${options.length}`);
    for (const line of options) assert.ok(/\(default: [^)]+\)$/.test(line), `no default stated: ${line}`);
    const synopsis = r.stdout.split("\n")[0]!;
    for (const flag of synopsis.match(/--[a-z][a-z0-9-]*/g) ?? []) {
      assert.ok(
        options.some((l) => l.includes(flag)),
        `${flag} of the synopsis has a row in the options`,
      );
    }
    if (args[0] === "introspect" || args[0] === "verify") {
      assert.ok(r.stdout.includes(`(default: ${MAX_ANSWER_BYTES})`), "the answer limit's default");
      assert.ok(r.stdout.includes(`(default: ${INTROSPECT_TIMEOUT_MS})`), "the timeout's default");
    }
    if (args[0] === "idp") assert.ok(/--port N .*\(default: 5684\)/.test(r.stdout), "the port's default");
  });
}
