/**
 * `CoapClient`: the thin driver that runs the sans-IO engine over the host's ports (datagram link,
 * monotonic clock, timers, random). The same code runs on Node, the XS test host and Moddable.
 *
 * @example
 * ```ts
 * const client = new CoapClient(link, { clock, timers, random }, { resolve: (h) => lookup(h) });
 * const r = await client.request({ method: "POST", url: "coap://127.0.0.1/idp/introspect",
 *   contentFormat: 50, payload: body });
 * console.log(r.code, r.text());
 * ```
 */
import type { DatagramLink, Endpoint, MonotonicClock, RandomSource, Timers } from "../ports.js";
import { ArgumentError, IdpgateError } from "../errors.js";
import { Method, type MethodName } from "./constants.js";
import { CoapClientEngine } from "./engine.js";
import type { EngineOptions } from "./engine-types.js";
import { CoapExchangeError } from "./errors.js";
import { OptionNumber, uintOption, type OptionValue } from "./options.js";
import type { CoapResponse } from "./response.js";
import { parseCoapUri, pathOptions, uriOptions, type CoapUri } from "./uri.js";
import { utf8Encode } from "../utf8.js";
import { DeadlineTimer } from "../link/deadline-timer.js";

/** The part of AbortSignal the client uses (src/ has no DOM types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener?(type: "abort", listener: () => void): void;
  removeEventListener?(type: "abort", listener: () => void): void;
}

export interface ClientPorts {
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  readonly random: RandomSource;
}

export interface CoapClientOptions extends Omit<EngineOptions, "random"> {
  /** Host name to numeric address (the host's resolver); required for URLs with names. */
  readonly resolve?: (host: string) => Promise<string>;
  /** Base for `path` requests: "coap://host:port". */
  readonly baseUrl?: string;
}

export interface CoapRequest {
  readonly method: MethodName | number;
  /** Either a full coap:// URL or `path` (+ `query`) relative to `baseUrl` / `peer`. */
  readonly url?: string;
  readonly path?: string;
  readonly query?: string;
  /** Where to send a `path` request when there is no baseUrl. */
  readonly peer?: Endpoint;
  readonly contentFormat?: number;
  readonly accept?: number;
  readonly payload?: Uint8Array | string;
  /** Extra options (ETag, If-Match, ...). */
  readonly options?: readonly OptionValue[];
  /** Default true (CON). */
  readonly confirmable?: boolean;
  readonly timeoutMs?: number;
  /** Preferred block size for Block1/Block2, 16..1024. */
  readonly blockSize?: number;
  /** Largest body of this request and its response, below the client's `maxBodyBytes`: Block2 stops there. */
  readonly maxBodyBytes?: number;
  readonly signal?: AbortSignalLike;
}

interface Target {
  readonly peer: Endpoint;
  readonly options: OptionValue[];
}

interface ParsedBase {
  readonly uri: CoapUri;
  readonly options: readonly OptionValue[];
}

interface Waiter {
  resolve(r: CoapResponse): void;
  reject(e: unknown): void;
}

export class CoapClient {
  readonly engine: CoapClientEngine;
  readonly #link: DatagramLink;
  readonly #ports: ClientPorts;
  readonly #options: CoapClientOptions;
  readonly #waiters = new Map<number, Waiter>();
  readonly #deadline: DeadlineTimer;
  #closed = false;
  #base: ParsedBase | undefined;

  constructor(link: DatagramLink, ports: ClientPorts, options: CoapClientOptions = {}) {
    this.#link = link;
    this.#ports = ports;
    this.#options = options;
    this.#deadline = new DeadlineTimer(ports.timers, ports.clock, () => {
      if (this.#closed) return;
      this.engine.handleTimeout(this.#ports.clock.now());
      this.#pump();
    });
    this.engine = new CoapClientEngine({
      ...options,
      random: ports.random,
      maxMessageSize: options.maxMessageSize ?? link.maxDatagramSize,
    });
    link.onDatagram((data, from) => {
      if (this.#closed) return;
      this.engine.handleDatagram(data, from, this.#ports.clock.now());
      this.#pump();
    });
    link.onError((error) => this.#linkFailed(error));
  }

  /**
   * Sends a request and resolves with its response (any code), or rejects with a typed error. Not
   * `async` (an async frame costs ~30 XS stack slots and this sits in every verification's call chain);
   * it never throws, every failure is a rejection.
   */
  request(req: CoapRequest): Promise<CoapResponse> {
    try {
      if (this.#closed) throw new CoapExchangeError("coap.closed", "caller", "client is closed");
      if (req.signal?.aborted === true) throw new CoapExchangeError("coap.cancelled", "caller", "request cancelled before it started");
      const code = typeof req.method === "number" ? req.method : Method[req.method];
      if (code === undefined) throw new ArgumentError("coap.bad_method", `unknown method ${String(req.method)}`);
      const target = this.#target(req);
      return target instanceof Promise ? target.then((t) => this.#submit(req, code, t)) : this.#submit(req, code, target);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #submit(req: CoapRequest, code: number, target: Target): Promise<CoapResponse> {
    const options = target.options;
    if (req.contentFormat !== undefined) options.push(uintOption(OptionNumber.CONTENT_FORMAT, req.contentFormat));
    if (req.accept !== undefined) options.push(uintOption(OptionNumber.ACCEPT, req.accept));
    if (req.options !== undefined) options.push(...req.options);
    const payload = typeof req.payload === "string" ? utf8Encode(req.payload) : req.payload;
    if (this.#closed) throw new CoapExchangeError("coap.closed", "caller", "client is closed");
    const id = this.engine.submit(
      {
        peer: target.peer,
        code,
        options,
        ...(payload === undefined ? {} : { payload }),
        ...(req.confirmable === undefined ? {} : { confirmable: req.confirmable }),
        ...(req.timeoutMs === undefined ? {} : { timeoutMs: req.timeoutMs }),
        ...(req.blockSize === undefined ? {} : { blockSize: req.blockSize }),
        ...(req.maxBodyBytes === undefined ? {} : { maxBodyBytes: req.maxBodyBytes }),
      },
      this.#ports.clock.now(),
    );
    const answered = new Promise<CoapResponse>((resolve, reject) => {
      this.#waiters.set(id, { resolve, reject });
      this.#pump();
    });
    const signal = req.signal;
    if (signal === undefined) return answered;
    const onAbort = (): void => {
      this.engine.cancel(id, this.#ports.clock.now());
      this.#pump();
    };
    signal.addEventListener?.("abort", onAbort);
    return answered.finally(() => signal.removeEventListener?.("abort", onAbort));
  }

  /**
   * A link failure (DTLS alert, handshake failure, socket error) fails the pending requests at once with
   * `coap.link_failed` and the link's error as `cause`, instead of leaving them to time out.
   */
  #linkFailed(error: Error): void {
    if (this.#closed) return;
    const now = this.#ports.clock.now();
    const code = (error as { code?: unknown }).code;
    for (const [id, w] of this.#waiters) {
      this.#waiters.delete(id);
      this.engine.cancel(id, now);
      w.reject(
        new CoapExchangeError("coap.link_failed", "environment", `the link failed: ${typeof code === "string" ? code : error.message}`, {
          cause: error,
        }),
      );
    }
    this.#pump();
  }

  /** Fails every pending request with `coap.closed` and closes the link. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deadline.cancel();
    for (const [id, w] of this.#waiters) {
      this.#waiters.delete(id);
      w.reject(new CoapExchangeError("coap.closed", "caller", "client closed"));
    }
    this.#link.close();
  }

  /**
   * Where a request goes and its Uri-* options. Synchronous unless a host name must be resolved: every
   * `await` in this chain costs XS stack (an async frame is ~30 slots), and a verifier's introspection
   * runs from a promise job on a 512-slot device stack. The base URL is parsed once.
   */
  #target(req: CoapRequest): Target | Promise<Target> {
    if (req.url !== undefined) {
      const uri = parseCoapUri(req.url);
      return this.#withPeer(uri.host, uri.hostIsLiteral, uri.port, uriOptions(uri));
    }
    if (req.path === undefined) throw new ArgumentError("coap.bad_request", "a request needs url or path");
    const path = pathOptions(req.path, req.query);
    if (req.peer !== undefined) return { peer: req.peer, options: path };
    const base = this.#parsedBase();
    return this.#withPeer(base.uri.host, base.uri.hostIsLiteral, base.uri.port, [...base.options, ...path]);
  }

  #parsedBase(): ParsedBase {
    if (this.#base !== undefined) return this.#base;
    if (this.#options.baseUrl === undefined) throw new ArgumentError("coap.bad_request", "a path request needs peer or baseUrl");
    const uri = parseCoapUri(this.#options.baseUrl);
    this.#base = { uri, options: uriOptions({ ...uri, pathSegments: [], querySegments: [] }) };
    return this.#base;
  }

  #withPeer(host: string, literal: boolean, port: number, options: OptionValue[]): Target | Promise<Target> {
    if (literal) return { peer: { address: host, port }, options };
    if (this.#options.resolve === undefined) throw new ArgumentError("coap.unresolved_host", `no resolver for host name ${host}`);
    return this.#options.resolve(host).then((address) => ({ peer: { address, port }, options }));
  }

  /** Runs the engine's outputs: datagrams, then events, then the next timer (STYLE.md order). */
  #pump(): void {
    if (this.#closed) return;
    for (let t = this.engine.pollTransmit(); t !== undefined; t = this.engine.pollTransmit()) {
      try {
        this.#link.send(t.datagram, t.to);
      } catch {
        // A failed send is a lost datagram; retransmission or the timeout takes over.
      }
    }
    for (let e = this.engine.pollEvent(); e !== undefined; e = this.engine.pollEvent()) {
      const w = this.#waiters.get(e.id);
      if (w === undefined) continue;
      this.#waiters.delete(e.id);
      if (e.kind === "response") w.resolve(e.response);
      else w.reject(e.error instanceof IdpgateError ? e.error : new CoapExchangeError("coap.internal", "internal", "unexpected error"));
    }
    this.#deadline.set(this.engine.pollTimeout());
  }
}
