/**
 * An introspection client on Node (src/idp/connection.ts over Node's ports, DNS, UDP and DTLS), for the
 * CLI, the provider tests and anyone who wants the parts without TokenVerifier's cache and policy.
 */
import { connectIntrospection, type IntrospectionConnection, type IntrospectionConnectionOptions } from "../../src/idp/connection.js";
import { nodeIdpLinkOpener, resolveHost } from "./client-link.js";
import type { DtlsOptions } from "./dtls/options.js";
import { nodePorts } from "./ports.js";

export interface IdpConnectionOptions extends IntrospectionConnectionOptions {
  /** Credentials for coaps:// (required there). */
  readonly dtls?: DtlsOptions;
}

export type IdpConnection = IntrospectionConnection;

/** `url` is the endpoint, e.g. `coaps://127.0.0.1:5684/idp/introspect` (the path defaults to /idp/introspect). */
export function connectIdp(url: string, options: IdpConnectionOptions = {}): IdpConnection {
  return connectIntrospection(url, { ports: nodePorts(), resolve: resolveHost, open: nodeIdpLinkOpener(options.dtls) }, options);
}
