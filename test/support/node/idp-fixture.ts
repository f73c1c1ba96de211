/**
 * A local identity provider for integration tests: our Provider on our DTLS server role (or plain UDP),
 * with known tokens. Tokens are random per run and never printed.
 */
import { IdpServer } from "../../../hosts/node/idp/server.js";
import { NO_FAULTS, Provider, type Faults } from "../../../hosts/node/idp/provider.js";
import { TokenStore } from "../../../hosts/node/idp/token-store.js";
import { listenDtls, listenUdp } from "../../../hosts/node/server-transport.js";

export const PSK_IDENTITY = "idpgate-test-device";
export const PSK_KEY = "idpgate-test-psk-0123456789";
export const CLIENT_ID = "gate-01";
export const CLIENT_SECRET = "gate-01-secret";

export interface IdpFixture {
  readonly server: IdpServer;
  readonly store: TokenStore;
  readonly url: string;
  readonly port: number;
  /** An active token with scope "tenant.demo relay.write". */
  readonly valid: string;
  /** Issued with a lifetime in the past. */
  readonly expired: string;
  /** Active, but with scope "tenant.demo telemetry.read" only. */
  readonly wrongScope: string;
  /** Never issued. */
  readonly unknown: string;
  readonly log: string[];
  close(): Promise<void>;
}

export interface IdpFixtureOptions {
  readonly plain?: boolean;
  readonly requireClient?: boolean;
  readonly faults?: Faults;
  readonly random?: () => number;
}

export async function startIdp(options: IdpFixtureOptions = {}): Promise<IdpFixture> {
  const store = new TokenStore();
  const valid = store.issue({ sub: "test.device.01", scope: "tenant.demo relay.write", lifetimeSeconds: 3600 });
  const expired = store.issue({ sub: "test.device.01", scope: "tenant.demo relay.write", lifetimeSeconds: -60 });
  const wrongScope = store.issue({ sub: "test.device.02", scope: "tenant.demo telemetry.read", lifetimeSeconds: 3600 });
  const unknown = `never-issued-${"x".repeat(86)}`;
  const log: string[] = [];
  const provider = new Provider({
    store,
    log: (line) => log.push(line),
    faults: options.faults ?? NO_FAULTS,
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.requireClient === true ? { clients: new Map([[CLIENT_ID, CLIENT_SECRET]]) } : {}),
  });
  const transport = options.plain
    ? await listenUdp(0)
    : await listenDtls(0, "127.0.0.1", { psk: { identity: PSK_IDENTITY, key: PSK_KEY } }, (line) => log.push(line));
  const server = new IdpServer(transport, provider);
  const url = `${options.plain ? "coap" : "coaps"}://127.0.0.1:${server.port}/idp/introspect`;
  return { server, store, url, port: server.port, valid, expired, wrongScope, unknown, log, close: () => server.close() };
}
