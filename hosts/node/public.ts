/**
 * The package's main module on Node (`import { TokenVerifier } from "idpgate"`, package.json's "."): the
 * core's public API, TokenVerifier over Node's DNS, UDP and N-API DTLS, and Node's own parts.
 */
export * from "../../src/index.js";
export { TokenVerifier } from "./token-verifier.js";
export { connectIdp, type IdpConnectionOptions } from "./idp-connection.js";
export { NodeTokenDigest } from "./token-digest.js";
