// The token-in-place contract (bytes.fixture.ts) for Node's HMAC digest: the gate on Node tries a command's
// token in place too, and must find the entry the string path made.
import { NodeTokenDigest } from "../../hosts/node/token-digest.js";
import { declareBytesTests } from "./bytes.fixture.js";
import { PrngRandom } from "./fakes.fixture.js";

declareBytesTests("NodeTokenDigest", () => new NodeTokenDigest(new PrngRandom(12)));
