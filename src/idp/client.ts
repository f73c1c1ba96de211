/**
 * The introspection client: encodes the request, posts it through a transport the host wires in (the
 * CoAP client), and maps the answer. The transport is the only I/O, so this runs on any host.
 */
import { ArgumentError } from "../errors.js";
import { AnswerMapper, CONTENT_FORMAT_JSON, type CoapAnswer } from "./answer.js";
import type { IntrospectionClaims } from "./claims.js";
import { IdpError, IdpUnavailable } from "./errors.js";
import { checkToken, IntrospectionRequestEncoder, MAX_TOKEN_LENGTH } from "./request.js";

/** The provider's endpoint (IDP-API.md). */
export const INTROSPECT_PATH = "/idp/introspect";
/** Default time for one exchange, retransmissions included. */
export const INTROSPECT_TIMEOUT_MS = 10_000;

export interface IntrospectionPostOptions {
  /** Content-Format of the request payload: application/json. */
  readonly contentFormat: 50;
  /** Accept option: application/json. */
  readonly accept: 50;
  /** Give up (reject) after this long. */
  readonly timeoutMs: number;
  /**
   * The answer limit: a transport stops receiving (Block2) past it and rejects with IdpAnswerTooLarge,
   * so an oversized answer is never buffered whole.
   */
  readonly maxAnswerBytes: number;
}

/**
 * What the client needs from a CoAP client: one confirmable POST over the DTLS session, Block2
 * reassembled, resolving with the final response or rejecting on timeout, reset or link failure.
 */
export interface IntrospectionTransport {
  post(path: string, payload: Uint8Array, options: IntrospectionPostOptions): Promise<CoapAnswer>;
}

/** What the verifier needs: anything that turns a token into claims or a typed IdpError. */
export interface Introspector {
  introspect(token: string): Promise<IntrospectionClaims>;
}

export interface IntrospectionClientOptions {
  readonly path?: string;
  readonly clientId?: string;
  /** Sent in the body: configure it only with an authenticated DTLS peer. */
  readonly clientSecret?: string;
  readonly timeoutMs?: number;
  /**
   * Largest answer body accepted (default MAX_ANSWER_BYTES, 4096); a larger one is IdpAnswerTooLarge,
   * and Block2 stops as soon as Size2 or the bytes received pass it. What it costs (XS host, chunk bytes):
   * - held for the client's life: the JSON token pool of maxAnswerTokens, 16 bytes a token; by default
   *   one token per 16 bytes, so about 1 byte per limit byte: about 1.1 KB for 1 KB, 4,192 for 4 KB,
   *   8.3 KB for 8 KB;
   * - during one answer: the Block2 blocks received (a copy each) and then the whole body, so up to
   *   about twice the answer's size for a moment, freed after mapping;
   * - per cached token whose answer had unknown claims: one copy of the answer (IntrospectionClaims
   *   keeps it to read those claims), for as long as the verifier caches it.
   */
  readonly maxAnswerBytes?: number;
  /**
   * JSON tokens one answer may have (default answerTokensFor(maxAnswerBytes): one per 16 bytes, 256 for
   * 4 KB); more is IdpAnswerTooLarge. The pool is 16 bytes per token, held for the client's life.
   */
  readonly maxAnswerTokens?: number;
  readonly maxTokenLength?: number;
}

export class IntrospectionClient implements Introspector {
  readonly #transport: IntrospectionTransport;
  readonly #path: string;
  /** Encodes the credentials once, each request's token then alone. */
  readonly #encoder: IntrospectionRequestEncoder;
  readonly #post: IntrospectionPostOptions;
  readonly #mapper: AnswerMapper;
  readonly #maxTokenLength: number;

  constructor(transport: IntrospectionTransport, options?: IntrospectionClientOptions) {
    this.#transport = transport;
    this.#path = options?.path ?? INTROSPECT_PATH;
    this.#encoder = new IntrospectionRequestEncoder({ clientId: options?.clientId, clientSecret: options?.clientSecret });
    const timeoutMs = options?.timeoutMs ?? INTROSPECT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new ArgumentError("idp.bad_option", "timeoutMs must be positive");
    this.#mapper = new AnswerMapper({
      ...(options?.maxAnswerBytes === undefined ? {} : { maxAnswerBytes: options.maxAnswerBytes }),
      ...(options?.maxAnswerTokens === undefined ? {} : { maxTokens: options.maxAnswerTokens }),
    });
    this.#post = {
      contentFormat: CONTENT_FORMAT_JSON,
      accept: CONTENT_FORMAT_JSON,
      timeoutMs,
      maxAnswerBytes: this.#mapper.maxAnswerBytes,
    };
    this.#maxTokenLength = options?.maxTokenLength ?? MAX_TOKEN_LENGTH;
  }

  /**
   * Asks the provider about `token`. Resolves with the claims (check `active`), or rejects with an
   * IdpError: a mapped answer, or `idp.unavailable` wrapping the transport's failure as `cause`.
   * Rejects with ArgumentError `idp.bad_token` for a token that cannot be sent.
   */
  introspect(token: string): Promise<IntrospectionClaims> {
    // Not `async`: an async frame costs ~30 XS stack slots, and this runs inside every cold verification.
    let payload: Uint8Array;
    let sent: Promise<CoapAnswer>;
    try {
      checkToken(token, this.#maxTokenLength);
      payload = this.#encoder.encode(token);
    } catch (error) {
      return Promise.reject(error);
    }
    // The body holds the token (and maybe the secret): do not leave it in the heap longer than needed.
    try {
      sent = this.#transport.post(this.#path, payload, this.#post);
    } catch (error) {
      payload.fill(0);
      return Promise.reject(unavailable(error));
    }
    return sent.then(
      (answer) => {
        payload.fill(0);
        return this.#mapper.map(answer);
      },
      (error: unknown): never => {
        payload.fill(0);
        throw unavailable(error);
      },
    );
  }
}

/** A transport's failure as the client reports it: IdpErrors pass, anything else is `idp.unavailable`. */
function unavailable(error: unknown): IdpError {
  return error instanceof IdpError ? error : new IdpUnavailable(error);
}
