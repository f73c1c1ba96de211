/**
 * The introspection transport over our CoAP client: one confirmable POST, Block2 reassembled by the
 * client. After `deadAfterTimeouts` consecutive requests that got no answer at all, the link is told to
 * start over (a DTLS server that restarted answers nothing to an old session's records).
 */
import type { CoapClient } from "../coap/client.js";
import type { CoapAnswer } from "./answer.js";
import type { IntrospectionPostOptions, IntrospectionTransport } from "./client.js";
import { IdpAnswerTooLarge } from "./errors.js";

export interface CoapIntrospectionTransportOptions {
  /** Called after this many unanswered requests in a row (default 2). */
  readonly deadAfterTimeouts?: number;
  /** What to do then: typically `reconnectingLink.reset()`. */
  readonly onDead?: () => void;
}

export class CoapIntrospectionTransport implements IntrospectionTransport {
  readonly #client: CoapClient;
  readonly #deadAfter: number;
  readonly #onDead: () => void;
  #unanswered = 0;

  constructor(client: CoapClient, options: CoapIntrospectionTransportOptions = {}) {
    this.#client = client;
    this.#deadAfter = options.deadAfterTimeouts ?? 2;
    this.#onDead = options.onDead ?? (() => {});
  }

  /** Not `async`: it runs inside a verification's call chain, where an async frame costs ~30 XS stack slots. */
  post(path: string, payload: Uint8Array, options: IntrospectionPostOptions): Promise<CoapAnswer> {
    return this.#client
      .request({
        method: "POST",
        path,
        payload,
        contentFormat: options.contentFormat,
        accept: options.accept,
        timeoutMs: options.timeoutMs,
        maxBodyBytes: options.maxAnswerBytes,
      })
      .then(
        (r): CoapAnswer => {
          this.#unanswered = 0;
          return { code: r.codeNumber, contentFormat: r.contentFormat, payload: r.payload, maxAge: r.maxAge };
        },
        (error: unknown): never => {
          const code = (error as { code?: unknown }).code;
          // The provider answered, with more than we take (Size2, or the Block2 total passing the limit).
          if (code === "coap.body_too_large") throw new IdpAnswerTooLarge(options.maxAnswerBytes, { cause: error });
          if (code === "coap.timeout" && ++this.#unanswered >= this.#deadAfter) {
            this.#unanswered = 0;
            this.#onDead();
          }
          throw error;
        },
      );
  }
}
