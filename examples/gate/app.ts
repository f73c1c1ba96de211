/**
 * The gate: a device app whose relay switches only for a verified access token with the right scope.
 * Runtime-neutral (no Node, no Moddable imports): the per-host start-up files (moddable/main.ts for devices,
 * the simulator and the XS test host; node/main.ts) make the links, the verifier and the ports and pass
 * them in.
 *
 * Resources (CoAP over the DTLS server link, RFC 7252):
 *   POST /relay  {"token":"...","state":"on"|"off"}  verify the token for `scope`, then switch:
 *                2.04 {"allowed":true,"reason":"ok","fromCache":false,"state":"on"}
 *                4.01 inactive / expired / malformed token, 4.03 scope / issuer / subject,
 *                5.03 provider unavailable or rate limited, 5.02 provider error (all fail closed),
 *                payload {"allowed":false,"reason":"<reason>","fromCache":...}; 4.00 for a body that is
 *                not such JSON ({"allowed":false,"reason":"bad_request",...}), 4.15 for one without
 *                Content-Format 50 (the same payload).
 *   GET  /relay  2.05 {"state":"off"}
 *   GET  /stats  2.05 host numbers (XS host: heap after gc), when the start-up provides them
 * Every answer to a command carries the decision {allowed, reason, fromCache}. Tokens never leave this
 * module: not in answers, not in the log.
 */
import { CoapServerDriver, makeCode, utf8Encode, type ServerAnswer, type ServerRequest } from "../../src/coap/index.js";
import type { DatagramLink, Endpoint, MonotonicClock, Timers } from "../../src/ports.js";
import { JsonDocument, JsonError, T_OBJECT, T_STRING } from "../../src/json/index.js";
import { MutableDecision, Requirement, type Decision, type Requirements } from "../../src/verifier/index.js";

export const CONTENT_FORMAT_JSON = 50;
const MAX_COMMAND_BYTES = 512;
/** A command is one flat object; deeper input is refused before it costs anything. */
const COMMAND_MAX_DEPTH = 4;
/** Tokens of a command: the object, two members, and room for a few extra (ignored) ones. */
const COMMAND_MAX_TOKENS = 24;

const CHANGED = makeCode(2, 4);
const CONTENT = makeCode(2, 5);
const BAD_REQUEST = makeCode(4, 0);
const UNAUTHORIZED = makeCode(4, 1);
const FORBIDDEN = makeCode(4, 3);
const NOT_FOUND = makeCode(4, 4);
const METHOD_NOT_ALLOWED = makeCode(4, 5);
const UNSUPPORTED_CONTENT_FORMAT = makeCode(4, 15);
const BAD_GATEWAY = makeCode(5, 2);
const SERVICE_UNAVAILABLE = makeCode(5, 3);
const GET = 1;
const POST = 2;
const PUT = 3;

export type RelayState = "on" | "off";

/** What the gate needs of a verifier (src/verifier `Verifier`, TokenVerifier). */
export interface GateVerifier {
  verify(token: string, requirements: Requirements): Promise<Decision>;
  /** A cache hit decided at once into `out` (true), or false: then `verify`. Optional: without it every command awaits. */
  verifyCached?(token: string, requirements: Requirements, out: MutableDecision): boolean;
}

/** What a verifier that threw (a bug: verifiers fail closed with a decision) is answered with: deny. */
const INTERNAL_DENIAL: Decision = {
  allowed: false,
  reason: "idp_error",
  sub: undefined,
  scopes: undefined,
  expiresAt: undefined,
  fromCache: false,
  errorCode: "internal",
};

/** The command server's link: plaintext CoAP datagrams, and who each peer proved to be (a DTLS server link). */
export interface GateLink extends DatagramLink {
  /** The identity `peer`'s DTLS session authenticated (its PSK identity), if any. */
  peerIdentity?(peer: Endpoint): string | undefined;
}

export interface GateOptions {
  /** The command server: plaintext CoAP datagrams (a DTLS server link). */
  readonly link: GateLink;
  readonly verifier: GateVerifier;
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  /** The scope a command's token must grant. */
  readonly scope: string;
  /** Required `iss`, when configured. */
  readonly issuer?: string;
  readonly log?: (line: string) => void;
  /** GET /stats: a JSON text (the XS start-up reports the heap). */
  readonly stats?: () => string;
}

/** The HTTP-like code for a denial reason (fail closed in every case). */
export function codeForReason(reason: Decision["reason"]): number {
  switch (reason) {
    case "ok":
      return CHANGED;
    case "scope":
    case "issuer":
    case "audience":
    case "subject":
      return FORBIDDEN;
    case "idp_unavailable":
    case "rate_limited":
      return SERVICE_UNAVAILABLE;
    case "idp_error":
      return BAD_GATEWAY;
    default:
      return UNAUTHORIZED; // inactive, expired, malformed
  }
}

/** The compact decision every command answer carries. */
export function decisionJson(allowed: boolean, reason: string, fromCache: boolean, state?: RelayState): string {
  return `{"allowed":${allowed},"reason":"${reason}","fromCache":${fromCache}${state === undefined ? "" : `,"state":"${state}"`}}`;
}

/**
 * Reads `{"token": "...", "state": "on"|"off"}` with the bounded tokenizer into the gate's own token pool:
 * iterative (a peer's nesting cannot exhaust the XS stack, as JSON.parse's recursion did at ~230 levels of
 * a 491-byte command), at most COMMAND_MAX_DEPTH deep and COMMAND_MAX_TOKENS tokens, duplicates refused.
 */
interface Command {
  readonly token: string;
  readonly state: RelayState;
}

function parseCommand(doc: JsonDocument, payload: Uint8Array): Command | undefined {
  if (payload.length === 0 || payload.length > MAX_COMMAND_BYTES) return undefined;
  try {
    doc.parse(payload, { maxBytes: MAX_COMMAND_BYTES, maxDepth: COMMAND_MAX_DEPTH });
    if (doc.type(0) !== T_OBJECT) return undefined;
    const t = doc.member(0, "token");
    const s = doc.member(0, "state");
    if (t < 0 || s < 0 || doc.type(t) !== T_STRING || doc.type(s) !== T_STRING) return undefined;
    const state = doc.stringEquals(s, "on") ? "on" : doc.stringEquals(s, "off") ? "off" : undefined;
    return state === undefined ? undefined : { token: doc.string(t), state };
  } catch (error) {
    if (error instanceof JsonError) return undefined; // malformed, too deep, too many tokens, duplicate key
    throw error;
  }
}

export class Gate {
  readonly #o: GateOptions;
  readonly #server: CoapServerDriver;
  /** Compiled once: a cache hit may then skip the static checks it has seen pass (src/verifier Requirement). */
  readonly #requirements: Requirement;
  readonly #commandDoc = new JsonDocument(COMMAND_MAX_TOKENS);
  /** The decision of a cache hit, reused command after command. */
  readonly #hit = new MutableDecision();
  #state: RelayState = "off";
  #closed = false;
  /** Commands answered, allowed and denied. */
  commands = 0;
  allowed = 0;
  denied = 0;

  constructor(options: GateOptions) {
    this.#o = options;
    this.#requirements = new Requirement({ scope: options.scope, issuer: options.issuer });
    this.#server = new CoapServerDriver({
      link: options.link,
      clock: options.clock,
      timers: options.timers,
      handler: (req) => this.#route(req),
      // maxBodyBytes: a Block1 command is reassembled in at most MAX_COMMAND_BYTES (4.13 past it), not 64 KB.
      engine: { maxPending: 8, dedupEntries: 32, cachedAnswers: 2, maxBodyBytes: MAX_COMMAND_BYTES },
    });
    options.link.onError((error, peer) =>
      this.#log(
        `gate: link ${peer === undefined ? "" : `${peer.address}:${peer.port} `}${(error as { code?: string }).code ?? error.message}`,
      ),
    );
  }

  get state(): RelayState {
    return this.#state;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    this.#o.link.close();
  }

  #log(line: string): void {
    this.#o.log?.(line);
  }

  #route(req: ServerRequest): void {
    if (req.path === "relay") {
      if (req.method === GET) this.#answer(req, CONTENT, `{"state":"${this.#state}"}`);
      else if (req.method === POST || req.method === PUT) this.#command(req);
      else this.#answer(req, METHOD_NOT_ALLOWED, undefined);
    } else if (req.path === "stats" && this.#o.stats !== undefined) {
      if (req.method === GET) this.#answer(req, CONTENT, this.#o.stats());
      else this.#answer(req, METHOD_NOT_ALLOWED, undefined);
    } else this.#answer(req, NOT_FOUND, undefined);
  }

  /**
   * Not async: a cache hit is decided and answered within this call (no promise, no async frame on the
   * device's 512-slot stack, nothing allocated for the decision); only a miss waits for the provider.
   */
  #command(req: ServerRequest): void {
    if (req.contentFormat !== CONTENT_FORMAT_JSON) {
      // RFC 7252 §5.9.2.9: a command is JSON (50) only; one without a Content-Format is not guessed at.
      this.commands++;
      this.denied++;
      this.#answer(req, UNSUPPORTED_CONTENT_FORMAT, decisionJson(false, "bad_request", false));
      this.#log(`gate: ${req.peer.address}:${req.peer.port} command without Content-Format 50 -> 4.15`);
      return;
    }
    const command = parseCommand(this.#commandDoc, req.payload);
    if (command === undefined) {
      this.commands++;
      this.denied++;
      this.#answer(req, BAD_REQUEST, decisionJson(false, "bad_request", false));
      this.#log(`gate: ${req.peer.address}:${req.peer.port} bad command -> 4.00`);
      return;
    }
    const verifier = this.#o.verifier;
    // A hit makes no introspection, which is all the caller key limits: it gets the compiled requirements.
    if (verifier.verifyCached?.(command.token, this.#requirements, this.#hit) === true) {
      this.#decided(req, command, this.#hit);
      return;
    }
    verifier.verify(command.token, this.#callerRequirements(req.peer)).then(
      (d) => this.#decided(req, command, d),
      () => this.#decided(req, command, INTERNAL_DENIAL),
    );
  }

  /** Answers a command with its decision (read at once: a hit's decision is reused by the next command). */
  #decided(req: ServerRequest, command: Command, d: Decision): void {
    if (this.#closed) return;
    this.commands++;
    const code = codeForReason(d.reason);
    if (d.allowed) {
      this.allowed++;
      if (this.#state !== command.state) this.#log(`gate: relay ${command.state}`);
      this.#state = command.state;
      this.#answer(req, code, decisionJson(true, d.reason, d.fromCache, this.#state));
    } else {
      this.denied++;
      this.#answer(req, code, decisionJson(false, d.reason, d.fromCache));
    }
    this.#log(
      `gate: command ${command.state} -> ${code >> 5}.${String(code & 31).padStart(2, "0")} ${d.allowed ? "allowed" : "denied"} ${d.reason}${d.errorCode === undefined ? "" : ` [${d.errorCode}]`}${d.fromCache ? " (cache)" : ""}`,
    );
  }

  /**
   * The requirements with the caller key of the per-caller introspection limit: the identity the peer's DTLS
   * session authenticated, so one peer cannot spend the budget of all (issue 10 4g); a new source port buys
   * no fresh budget. A session without one (no PSK) is keyed by its address.
   */
  #callerRequirements(peer: Endpoint): Requirements {
    const identity = this.#o.link.peerIdentity?.(peer);
    return { ...this.#requirements, callerKey: identity === undefined ? `address:${peer.address}` : `psk:${identity}` };
  }

  #answer(req: ServerRequest, code: number, json: string | undefined): void {
    const answer: ServerAnswer = json === undefined ? { code } : { code, contentFormat: CONTENT_FORMAT_JSON, payload: utf8Encode(json) };
    this.#server.respond(req, answer);
  }
}
