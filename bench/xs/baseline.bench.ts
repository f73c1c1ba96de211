/**
 * XS baseline: what the smallest operations cost on the XS test host, as a yardstick for idpgate's own
 * benchmarks. Run: `hosts/xs/out/idpgate-xs build/bench/xs/baseline.bench.js`.
 *
 * Each row is measured once, after one warm-up run and a full collection: computrons (XS metering units,
 * deterministic), and the slots and chunk bytes allocated (peak minus start, garbage included) by the
 * operation alone. The cost of the measuring calls themselves is measured first and subtracted.
 */
import { measure, report as reportRow } from "./_measure.js";

const SECTION = "XS baseline";

function empty(): void {}

const ANSWER =
  '{"active": true, "sub": "test.device.01", "scope": "tenant.demo refresh.token temp", ' +
  '"iss": "https://iot-idp.demo.apps.iothentix.com/", "exp": 1658179642}';

const MAP_KEYS: string[] = [];
for (let index = 0; index < 32; index++) MAP_KEYS.push(`key-${index}`);

reportRow(
  SECTION,
  "empty function call",
  measure(undefined, () => empty()),
);

reportRow(
  SECTION,
  `JSON.parse of an introspection answer (${ANSWER.length} bytes)`,
  measure(ANSWER, (text) => JSON.parse(text) as unknown),
);

reportRow(
  SECTION,
  "Map: 32 set then 32 get",
  measure(MAP_KEYS, (keys) => {
    const map = new Map<string, number>();
    for (let index = 0; index < keys.length; index++) map.set(keys[index] as string, index);
    let sum = 0;
    for (let index = 0; index < keys.length; index++) sum += map.get(keys[index] as string) ?? 0;
    return sum;
  }),
);
