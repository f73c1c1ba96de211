/** The module `idpgate/verifier` on XS (as package.json's "./verifier" on Node): src/verifier's public API. */
export * from "idpgate/src/verifier/index";
