/** The module `idpgate/coap` on XS (as package.json's "./coap" on Node): src/coap's public API. */
export * from "idpgate/src/coap/index";
