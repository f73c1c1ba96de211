/** The module `idpgate/idp` on XS (as package.json's "./idp" on Node): src/idp's public API. */
export * from "idpgate/src/idp/index";
