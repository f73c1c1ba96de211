import { TokenVerifier } from "idpgate";

const verifier = new TokenVerifier({ url: "coaps://127.0.0.1:5684/idp/introspect", psk: { identity: "dev", key: "hex:00112233" } });

export async function allowed(token: string): Promise<boolean> {
  const decision = await verifier.verify(token, { scope: "relay.write" });
  return decision.allowed; // if not, decision.reason says why: "inactive", "expired", "scope", "idp_unavailable", ...
}
