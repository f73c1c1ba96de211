import { test, assert } from "./harness/index.js";
import { isIdpgateError } from "../src/errors.js";
import { CoapFormatError } from "../src/coap/index.js";
import { all } from "./errors.fixture.js";

test("every error's name is its class name, with a stable dotted code and a fault", () => {
  for (const [e, name] of all()) {
    assert.equal(e.name, name);
    assert.equal(e.name, e.constructor.name, "the name is the class name");
    assert.ok(/^[a-z]+\.[a-z_]+$/.test(e.code), e.code);
    assert.ok(["peer", "caller", "environment", "internal"].includes(e.fault));
    assert.ok(isIdpgateError(e));
    assert.ok(e instanceof Error);
  }
  assert.ok(isIdpgateError(new CoapFormatError("coap.bad_block", "m"), "coap."));
  assert.ok(!isIdpgateError(new CoapFormatError("coap.bad_block", "m"), "json."));
});
