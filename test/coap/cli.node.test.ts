/** The `idpgate coap` argument parser and the exit-code mapping (no network). */
import { test } from "node:test";
import { assert } from "../harness/index.js";
import { parseArgs } from "../../hosts/node/cli/coap.js";
import { EXIT_NO_ANSWER, EXIT_USAGE, UsageError, exitCodeForError, exitCodeForResponse } from "../../hosts/node/cli/exit-codes.js";
import { CoapExchangeError } from "../../src/coap/index.js";
import { ArgumentError } from "../../src/errors.js";

test("parseArgs reads every documented flag", () => {
  const a = parseArgs([
    "post",
    "coap://h/x",
    "--payload",
    "hi",
    "--content-format",
    "50",
    "--accept",
    "50",
    "--non",
    "--block-size",
    "64",
    "--timeout",
    "900",
    "-v",
  ]);
  assert.deepEqual(
    {
      method: a.method,
      url: a.url,
      cf: a.contentFormat,
      accept: a.accept,
      con: a.confirmable,
      bs: a.blockSize,
      t: a.timeoutMs,
      v: a.verbose,
      p: a.payload?.length,
    },
    { method: "POST", url: "coap://h/x", cf: 50, accept: 50, con: false, bs: 64, t: 900, v: true, p: 2 },
  );
});

for (const bad of [
  [],
  ["get"],
  ["fetch", "coap://h/"],
  ["get", "coap://h/", "--block-size", "100"],
  ["get", "coap://h/", "--bogus"],
  ["put", "coap://h/", "--payload", "a", "--payload-file", "f"],
  ["get", "coap://h/", "--timeout"],
]) {
  test(`parseArgs rejects ${JSON.stringify(bad)} as a usage error`, () => {
    assert.throws(() => parseArgs(bad), { instanceOf: UsageError });
  });
}

test("exit codes: 2.xx -> 0, other answers -> 1, caller errors -> 2, no answer -> 3", () => {
  assert.deepEqual([exitCodeForResponse(2), exitCodeForResponse(4), exitCodeForResponse(5)], [0, 1, 1]);
  assert.equal(exitCodeForError(new UsageError("x")), EXIT_USAGE);
  assert.equal(exitCodeForError(new ArgumentError("coap.bad_uri", "x")), EXIT_USAGE);
  assert.equal(exitCodeForError(new CoapExchangeError("coap.timeout", "environment", "x")), EXIT_NO_ANSWER);
  assert.equal(exitCodeForError(new CoapExchangeError("coap.reset", "peer", "x")), EXIT_NO_ANSWER);
});
