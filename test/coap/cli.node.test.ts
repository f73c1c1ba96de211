/** The `idpgate coap` argument parser and the exit-code mapping (no network). */
import { test } from "node:test";
import { assert } from "../harness/index.js";
import { parseArgs } from "../../hosts/node/cli/coap.js";
import {
  EXIT_NO_ANSWER,
  EXIT_USAGE,
  UsageError,
  exitCodeForDecision,
  exitCodeForError,
  exitCodeForResponse,
} from "../../hosts/node/cli/exit-codes.js";
import { TokensFileError } from "../../hosts/node/idp/token-store.js";
import { IdpAnswerTooLarge, IdpServerError } from "../../src/idp/index.js";
import type { DecisionReason } from "../../src/verifier/index.js";
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

test("exit codes of verify come from the decision's reason, refined by its error code; introspect's errors agree", () => {
  const rows: readonly (readonly [DecisionReason, string | undefined, number])[] = [
    ["ok", undefined, 0],
    ["inactive", undefined, 1],
    ["expired", undefined, 1],
    ["scope", undefined, 1],
    ["issuer", undefined, 1],
    ["subject", undefined, 1],
    ["malformed", undefined, EXIT_USAGE],
    ["rate_limited", undefined, 6],
    ["idp_unavailable", "idp.unavailable", EXIT_NO_ANSWER],
    ["idp_unavailable", "idp.server_error", 4],
    ["idp_error", "idp.unauthorized", 4],
    ["idp_error", "idp.malformed_answer", 5],
    ["idp_error", "idp.answer_too_large", 5],
    ["idp_error", undefined, 5],
  ];
  for (const [reason, errorCode, exit] of rows)
    assert.equal(exitCodeForDecision({ reason, errorCode }), exit, `${reason} ${errorCode ?? ""}`);
  assert.equal(exitCodeForError(new IdpAnswerTooLarge(4096, {})), 5);
  assert.equal(exitCodeForError(new IdpServerError({})), 4);
  assert.equal(exitCodeForError(new TokensFileError("f", "not valid JSON")), EXIT_USAGE);
});
