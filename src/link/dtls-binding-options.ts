/**
 * What both DTLS bindings take, by name: the N-API addon (hosts/node/native/dtls_napi.c) and the XS binding
 * (modules/dtls/xs/dtls_xs.c) read this one object, so a session is configured the same way on every host.
 * A pre-shared key is `psk` inside a `psks` entry and a certificate's private key is `privateKey`: the two
 * can no longer be confused (one `key` meant the PSK on XS and the private key on Node).
 */

/** One PSK identity with its pre-shared key. */
export interface DtlsPsk {
  readonly identity: Uint8Array;
  readonly psk: Uint8Array;
}

export interface DtlsBindingOptions {
  readonly role: "client" | "server";
  /** Client: the one identity it uses; server: the identities it accepts (the XS binding: at most one). */
  readonly psks?: readonly DtlsPsk[];
  /** Trusted CA certificates (PEM with its NUL, or DER). */
  readonly ca?: Uint8Array;
  /** Client: the name the server's certificate must carry (also sent as SNI). */
  readonly serverName?: string;
  /** Own certificate and its private key (PEM with its NUL, or DER). */
  readonly certificate?: Uint8Array;
  readonly privateKey?: Uint8Array;
  readonly mtu?: number;
  readonly handshakeTimeoutMinMs?: number;
  readonly handshakeTimeoutMaxMs?: number;
  readonly handshakeDeadlineMs?: number;
  /** Ask for an RFC 9146 Connection ID. */
  readonly connectionId?: boolean;
  /** N-API only: certificate or SPKI pin, mbedtls suite names, no HelloVerifyRequest (tests). */
  readonly pin?: { readonly kind: "cert" | "spki"; readonly sha256: Uint8Array };
  readonly suites?: readonly string[];
  readonly noCookies?: boolean;
}

/** A multi-peer server's options: the session options plus its table. */
export interface DtlsBindingServerOptions extends DtlsBindingOptions {
  readonly role: "server";
  readonly maxSessions: number;
  /** 0: the binding expires no one (the server driver does). */
  readonly idleTimeoutMs: number;
  readonly evictLeastRecent?: boolean;
}
