import { TokenVerifier } from "idpgate";
import config from "mc/config";

const verifier = new TokenVerifier({ url: config.idpUrl, psk: { identity: config.pskId, key: config.psk } });

export async function allowed(token: string): Promise<boolean> {
  const decision = await verifier.verify(token, { scope: "relay.write" });
  return decision.allowed; // if not, decision.reason says why: "inactive", "expired", "scope", "idp_unavailable", ...
}
