/** The module `idpgate/moddable` on XS: the device glue (ports, ECMA-419 UDP, DTLS links, resolver). */
export * from "idpgate/hosts/moddable/index";
