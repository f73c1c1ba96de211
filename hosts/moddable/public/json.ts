/** The module `idpgate/json` on XS (as package.json's "./json" on Node): src/json's public API. */
export * from "idpgate/src/json/index";
