/**
 * The JSON tokenizer on the XS test host: computrons and heap of tokenizing an introspection answer, a 3.5 KB
 * answer with many claims, and a body of numbers and literals, into a preallocated token pool: by bytes
 * alone (`tokenize` without text), and as JsonDocument.parse does it (the input's ASCII text first, when it
 * is ASCII, then strings found with indexOf; see src/json/_tokenize.ts). Run:
 * `hosts/xs/out/idpgate-xs build/bench/xs/json.bench.js`. Same method as baseline.bench.ts: one warm-up run, a
 * full collection, then one measured run; the cost of the measuring calls is subtracted.
 */
import { measure, report as reportRow } from "./_measure.js";
import { FIELDS, tokenize } from "../../src/json/_tokenize.js";
import { JsonDocument, utf8Encode } from "../../src/json/index.js";

const SECTION = "JSON tokenizer";

const ANSWER = utf8Encode(
  '{"active": true, "sub": "test.device.01", "scope": "tenant.demo refresh.token temp", ' +
    '"iss": "https://iot-idp.demo.apps.iothentix.com/", "exp": 1658179642}',
);

let claims = '{"active":true,"iss":"https://iot-idp.demo.apps.iothentix.com/","exp":1658179642,"iat":1658176042';
for (let i = 0; claims.length < 3400; i++)
  claims += `,"claim_${i}":{"name":"value \\u00e9 ${i}","n":${i * 7}.5e-3,"tags":["a","b\\n",${i % 2 === 0}],"x":null}`;
claims += "}";
const CLAIMS = utf8Encode(claims);

let numbers = "[";
for (let i = 0; numbers.length < 1000; i++) numbers += `${i === 0 ? "" : ","}-${i}.25E+2,true,false,null,0`;
numbers += "]";
const NUMBERS = utf8Encode(numbers);

const POOL = new Int32Array(1024 * FIELDS);
const DOC = new JsonDocument(1024);

for (const [name, input] of [
  [`introspection answer (${ANSWER.length} bytes)`, ANSWER],
  [`answer with many claims (${CLAIMS.length} bytes)`, CLAIMS],
  [`numbers and literals (${NUMBERS.length} bytes)`, NUMBERS],
] as const) {
  const row = measure(input, (bytes) => tokenize(bytes, POOL, 1024, 16));
  reportRow(SECTION, `tokenize: ${name}`, row, { tokens: tokenize(input, POOL, 1024, 16) });
  const parsed = measure(input, (bytes) => DOC.parse(bytes));
  reportRow(SECTION, `JsonDocument.parse: ${name}`, parsed, { tokens: DOC.parse(input) });
}
