import { SipHashTokenDigest } from "../../src/verifier/index.js";
import { declareBytesTests } from "./bytes.fixture.js";
import { PrngRandom } from "./fakes.fixture.js";

declareBytesTests("SipHash", () => new SipHashTokenDigest(new PrngRandom(11)));
