/** RFC 7252 §6.4 URI decomposition (Appendix A.5 examples among them). */
import { test, assert } from "../harness/index.js";
import { parseCoapUri, uriOptions, pathOptions, utf8Decode, type OptionValue } from "../../src/coap/index.js";

function show(options: readonly OptionValue[]): string[] {
  return options.map((x) => `${x.number}:${utf8Decode(x.value)}`);
}

const CASES: readonly [string, { host: string; port: number; literal: boolean; secure: boolean }, string[]][] = [
  ["coap://[2001:db8::2:1]/", { host: "2001:db8::2:1", port: 5683, literal: true, secure: false }, []],
  ["coap://example.net/", { host: "example.net", port: 5683, literal: false, secure: false }, ["3:example.net"]],
  [
    "coap://example.net/.well-known/core",
    { host: "example.net", port: 5683, literal: false, secure: false },
    ["3:example.net", "11:.well-known", "11:core"],
  ],
  [
    "coap://xn--18j4d.example/%E3%81%93%E3%82%93%E3%81%AB%E3%81%A1%E3%81%AF",
    { host: "xn--18j4d.example", port: 5683, literal: false, secure: false },
    ["3:xn--18j4d.example", "11:こんにちは"],
  ],
  [
    "coap://198.51.100.1:61616//%2F//?%2F%2F&?%26",
    { host: "198.51.100.1", port: 61616, literal: true, secure: false },
    ["11:", "11:/", "11:", "11:", "15://", "15:?&"],
  ],
  [
    "coaps://EXAMPLE.com:5700/idp/introspect",
    { host: "example.com", port: 5700, literal: false, secure: true },
    ["3:example.com", "11:idp", "11:introspect"],
  ],
  ["coaps://127.0.0.1/a?x=1&y", { host: "127.0.0.1", port: 5684, literal: true, secure: true }, ["11:a", "15:x=1", "15:y"]],
  ["coap://[::1]:5690", { host: "::1", port: 5690, literal: true, secure: false }, []],
  ["coap://127.0.0.1/a/", { host: "127.0.0.1", port: 5683, literal: true, secure: false }, ["11:a", "11:"]],
];

for (const [uri, expect, options] of CASES) {
  test(`parseCoapUri decomposes ${uri}`, () => {
    const u = parseCoapUri(uri);
    assert.deepEqual({ host: u.host, port: u.port, literal: u.hostIsLiteral, secure: u.secure }, expect);
    assert.deepEqual(show(uriOptions(u)), options);
  });
}

for (const bad of [
  "http://x/",
  "coap://",
  "coap://h/#frag",
  "coap://h:0/",
  "coap://h:70000/",
  "coap://[::1/",
  "coap://u@h/",
  "coap://h/%zz",
  "coap://h/%4",
  "coap://[zz]/",
  "coap://h h/",
]) {
  test(`parseCoapUri rejects ${JSON.stringify(bad)} with coap.bad_uri`, () => {
    assert.throws(() => parseCoapUri(bad), { code: "coap.bad_uri" });
  });
}

test("pathOptions percent-decodes path segments and queries", () => {
  assert.deepEqual(show(pathOptions("/idp/intro%2Fspect", "a=%26&b")), ["11:idp", "11:intro/spect", "15:a=&", "15:b"]);
  assert.deepEqual(show(pathOptions("/")), []);
});
