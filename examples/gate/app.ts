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
import { MutableDecision, Requirement, type Decision, type DecisionReason, type Requirements } from "../../src/verifier/index.js";

export const CONTENT_FORMAT_JSON = 50;
const MAX_COMMAND_BYTES = 512;
/** A command is one flat object; deeper input is refused before it costs anything. */
const COMMAND_MAX_DEPTH = 4;
/** Tokens of a command: the object, two members, and room for a few extra (ignored) ones. */
const COMMAND_MAX_TOKENS = 24;
/** Byte mode: a command is read in place, the parse builds no text of it (issue 13: nothing per datagram). */
const COMMAND_PARSE = { maxBytes: MAX_COMMAND_BYTES, maxDepth: COMMAND_MAX_DEPTH, text: false } as const;

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

// The strings a command's path uses, evaluated once: a string literal in a function is copied into a new
// chunk each time it is evaluated on an XS without preloading (the test host, the simulator's unpreloaded
// modules), 24 bytes a literal (issue 13: nothing allocated per datagram).
const ON: RelayState = "on";
const OFF: RelayState = "off";
const OK: DecisionReason = "ok";
const TOKEN_MEMBER = "token";
const STATE_MEMBER = "state";
const RELAY_PATH = "relay";
const STATS_PATH = "stats";
const RELAY_ON_LINE = "gate: relay on";
const RELAY_OFF_LINE = "gate: relay off";

/** What the gate needs of a verifier (src/verifier `Verifier`, TokenVerifier). */
export interface GateVerifier {
  verify(token: string, requirements: Requirements): Promise<Decision>;
  /**
   * A cache hit decided at once into `out` (true), or false: then `verify`. Given bytes, the token's UTF-8 at
   * [start, end) read in place (no string made): true only when decided, false for anything else (then the
   * string path). Optional: without it every command awaits. A property, not a method, so the compiler refuses
   * a verifier whose verifyCached takes strings only (a method's parameters would be checked bivariantly).
   */
  readonly verifyCached?: (
    token: string | Uint8Array,
    requirements: Requirements,
    out: MutableDecision,
    start?: number,
    end?: number,
  ) => boolean;
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
  /**
   * A log line per command (its decision); default true when `log` is set. Off, only start-up, link errors
   * and relay switches are logged, and a cache-hit command builds no string at all.
   */
  readonly logCommands?: boolean;
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

/** Each reason's place in the answer table; a Record, so the compiler keeps it complete. */
const REASON_INDEX: Readonly<Record<DecisionReason, number>> = Object.freeze({
  ok: 0,
  inactive: 1,
  expired: 2,
  scope: 3,
  issuer: 4,
  audience: 5,
  subject: 6,
  idp_unavailable: 7,
  idp_error: 8,
  rate_limited: 9,
  malformed: 10,
});

/** Answer kinds: allowed ("ok") as fromCache x state at 0..3; denied as reason x fromCache from 4 on. */
const ANSWER_KINDS = 4 + Object.keys(REASON_INDEX).length * 2;

/**
 * Every answer a command can get, encoded once when first needed: a command is answered from this table,
 * not by building and encoding its JSON each time. The table grows only to the answers seen (a few: allowed
 * from the cache, a denial), in the order first seen: `#answers` is only ever pushed to, and `#at` maps an
 * answer kind to its place. Writing answers at their kind's index instead would make the array sparse (kind
 * 10 after kind 0), and XS's compacting collector misreads a sparse array whose chunk was over-allocated by
 * an append: it sweeps the spare capacity as if it held values and crashes (docs/CONVENTIONS.md, "XS engine").
 */
export class DecisionAnswers {
  /** Answer kind -> 1 + its index in #answers; 0: not encoded yet. */
  readonly #at = new Uint8Array(ANSWER_KINDS);
  readonly #answers: ServerAnswer[] = [];

  get(allowed: boolean, reason: DecisionReason, fromCache: boolean, state: RelayState | undefined): ServerAnswer {
    const r = REASON_INDEX[reason] ?? -1;
    const cache = fromCache ? 1 : 0;
    const k = allowed ? (reason === OK ? cache * 2 + (state === OFF ? 1 : 0) : -1) : r < 0 ? -1 : 4 + r * 2 + cache;
    if (k < 0 || (allowed && state === undefined))
      return jsonAnswer(codeForReason(reason), decisionJson(allowed, reason, fromCache, state)); // not kept
    const at = this.#at[k]!;
    if (at > 0) return this.#answers[at - 1]!;
    const a = jsonAnswer(codeForReason(reason), decisionJson(allowed, reason, fromCache, state));
    this.#at[k] = this.#answers.push(a);
    return a;
  }

  /** How many answers are kept (tests). */
  get size(): number {
    return this.#answers.length;
  }
}

function jsonAnswer(code: number, json: string): ServerAnswer {
  return { code, contentFormat: CONTENT_FORMAT_JSON, payload: utf8Encode(json) };
}

const METHOD_NOT_ALLOWED_ANSWER: ServerAnswer = { code: METHOD_NOT_ALLOWED };
const NOT_FOUND_ANSWER: ServerAnswer = { code: NOT_FOUND };

/** A command as read: one object, filled command after command. */
class Command {
  /** The token's string token in the command document (its value is read only when needed). */
  token = -1;
  /** The token as a string, made only when the cache did not decide in place (a miss copies it into its continuation). */
  text = "";
  state: RelayState = "off";
}

/**
 * Reads `{"token": "...", "state": "on"|"off"}` with the bounded tokenizer into the gate's own token pool:
 * iterative (a peer's nesting cannot exhaust the XS stack, as JSON.parse's recursion did at ~230 levels of
 * a 491-byte command), at most COMMAND_MAX_DEPTH deep and COMMAND_MAX_TOKENS tokens, duplicates refused.
 * The payload is read in place: `bytes` from `start` on (the request's datagram; no view made of it).
 * Fills `out`; false for anything that is not such a command.
 */
function parseCommand(doc: JsonDocument, bytes: Uint8Array, start: number, out: Command): boolean {
  const length = bytes.length - start;
  if (length === 0 || length > MAX_COMMAND_BYTES) return false;
  try {
    doc.parse(bytes, COMMAND_PARSE, start);
    if (doc.type(0) !== T_OBJECT) return false;
    const t = doc.member(0, TOKEN_MEMBER);
    const s = doc.member(0, STATE_MEMBER);
    if (t < 0 || s < 0 || doc.type(t) !== T_STRING || doc.type(s) !== T_STRING) return false;
    const state = doc.stringEquals(s, ON) ? ON : doc.stringEquals(s, OFF) ? OFF : undefined;
    if (state === undefined) return false;
    out.token = t;
    out.state = state;
    return true;
  } catch (error) {
    if (error instanceof JsonError) return false; // malformed, too deep, too many tokens, duplicate key
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
  /** The command being read, reused (a miss copies what it needs into its continuation). */
  readonly #command = new Command();
  readonly #answers = new DecisionAnswers();
  /** The fixed answers, encoded once (here, not at module evaluation: that runs deep in a device's start-up stack). */
  readonly #badRequest = jsonAnswer(BAD_REQUEST, decisionJson(false, "bad_request", false));
  readonly #unsupported = jsonAnswer(UNSUPPORTED_CONTENT_FORMAT, decisionJson(false, "bad_request", false));
  readonly #stateAnswers: Readonly<Record<RelayState, ServerAnswer>> = {
    on: jsonAnswer(CONTENT, '{"state":"on"}'),
    off: jsonAnswer(CONTENT, '{"state":"off"}'),
  };
  readonly #logCommands: boolean;
  /** Resolved once: a miss's verification is queued on it (made here: a preloaded module's objects are frozen). */
  readonly #later: Promise<void> = Promise.resolve();
  /** The requirements of the last caller (identity or address), reused while the same caller sends. */
  #callerSource: string | undefined;
  #callerByIdentity = false;
  #callerReq: Requirements | undefined;
  #state: RelayState = "off";
  #closed = false;
  /** Commands answered, allowed and denied. */
  commands = 0;
  allowed = 0;
  denied = 0;

  constructor(options: GateOptions) {
    this.#o = options;
    this.#logCommands = options.log !== undefined && options.logCommands !== false;
    this.#requirements = new Requirement({ scope: options.scope, issuer: options.issuer });
    this.#server = new CoapServerDriver({
      link: options.link,
      clock: options.clock,
      timers: options.timers,
      handler: this.#route,
      // maxBodyBytes: a Block1 command is reassembled in at most MAX_COMMAND_BYTES (4.13 past it), not 64 KB.
      // dedupReplyBytes: 32 of the largest command answers (86 B with the arena's record header) fit.
      engine: { maxPending: 8, dedupEntries: 32, dedupReplyBytes: 32 * 86, cachedAnswers: 2, maxBodyBytes: MAX_COMMAND_BYTES },
    });
    options.link.onError((error, peer) => {
      if (options.log !== undefined)
        options.log(
          `gate: link ${peer === undefined ? "" : `${peer.address}:${peer.port} `}${(error as { code?: string }).code ?? error.message}`,
        );
    });
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

  /** The server's handler. A field, not a method: the driver calls it directly (one frame less on the stack). */
  readonly #route = (req: ServerRequest): void => {
    if (req.path === RELAY_PATH) {
      if (req.method === GET) this.#server.respond(req, this.#stateAnswers[this.#state]);
      else if (req.method === POST || req.method === PUT)
        return this.#take(req); // a tail call (XS): a frame less
      else this.#server.respond(req, METHOD_NOT_ALLOWED_ANSWER);
    } else if (req.path === STATS_PATH && this.#o.stats !== undefined) {
      if (req.method === GET) this.#server.respond(req, jsonAnswer(CONTENT, this.#o.stats()));
      else this.#server.respond(req, METHOD_NOT_ALLOWED_ANSWER);
    } else this.#server.respond(req, NOT_FOUND_ANSWER);
  };

  /**
   * Not async: a cache hit is decided and answered within this call (no promise, no async frame on the
   * device's 512-slot stack, nothing allocated for the decision or the answer); only a miss waits for the
   * provider.
   */
  #take(req: ServerRequest): void {
    if (req.contentFormat !== CONTENT_FORMAT_JSON) {
      // RFC 7252 §5.9.2.9: a command is JSON (50) only; one without a Content-Format is not guessed at.
      this.commands++;
      this.denied++;
      this.#server.respond(req, this.#unsupported);
      if (this.#logCommands) this.#o.log!(`gate: ${req.peer.address}:${req.peer.port} command without Content-Format 50 -> 4.15`);
      return;
    }
    const command = this.#command;
    if (!parseCommand(this.#commandDoc, req.bytes, req.payloadStart, command)) {
      this.commands++;
      this.denied++;
      this.#server.respond(req, this.#badRequest);
      if (this.#logCommands) this.#o.log!(`gate: ${req.peer.address}:${req.peer.port} bad command -> 4.00`);
      return;
    }
    // A hit makes no introspection, which is all the caller key limits: it gets the compiled requirements.
    if (this.#cached(command)) return this.#decided(req, command.state, this.#hit); // a tail call, as above
    this.#miss(req, command.state, command.text); // the command object is reused by the next datagram
  }

  /**
   * A miss asks the provider, from a promise job of its own: the request is served within its datagram's
   * call, above the receive path (socket -> DTLS -> CoAP) on a device's 512-slot XS stack, and `verify`'s
   * own frames (TokenVerifier, the async Verifier, the string digest) overflowed it there on the XS test host
   * (511 of 512 slots). `req` stays this request's until answered. Its own method: a function holding
   * closures gets their variables allocated at each call on XS, and #take runs for every command.
   */
  #miss(req: ServerRequest, state: RelayState, token: string): void {
    this.#later
      .then(() => this.#o.verifier.verify(token, this.#callerRequirements(req.peer)))
      .then(
        (d) => this.#decided(req, state, d),
        () => this.#decided(req, state, INTERNAL_DENIAL), // a verifier that threw or rejected (a bug): deny
      );
  }

  /**
   * A cache hit decided into #hit (true), or false with `command.text` set to the token (then `verify`). An
   * unescaped token is tried in place first: a hit then makes no string of it (issue 13). Its own frame, off
   * the answer's path: #take's stays small (a hit answers on a device's 512-slot stack, above the receive path).
   */
  #cached(command: Command): boolean {
    const verifier = this.#o.verifier;
    const doc = this.#commandDoc;
    const t = command.token;
    if (
      verifier.verifyCached !== undefined &&
      !doc.escaped(t) &&
      verifier.verifyCached(doc.input, this.#requirements, this.#hit, doc.start(t), doc.end(t))
    )
      return true;
    command.text = doc.string(t); // now, before the next datagram reuses the document
    return verifier.verifyCached?.(command.text, this.#requirements, this.#hit) === true;
  }

  /** Answers a command with its decision (read at once: a hit's decision is reused by the next command). */
  #decided(req: ServerRequest, state: RelayState, d: Decision): void {
    if (this.#closed) return;
    this.commands++;
    if (d.allowed) {
      this.allowed++;
      if (this.#state !== state && this.#o.log !== undefined) this.#o.log(state === ON ? RELAY_ON_LINE : RELAY_OFF_LINE); // constants: no string built
      this.#state = state;
      this.#server.respond(req, this.#answers.get(true, d.reason, d.fromCache, state));
    } else {
      this.denied++;
      this.#server.respond(req, this.#answers.get(false, d.reason, d.fromCache, undefined));
    }
    if (this.#logCommands) {
      const code = codeForReason(d.reason);
      this.#o.log!(
        `gate: command ${state} -> ${code >> 5}.${String(code & 31).padStart(2, "0")} ${d.allowed ? "allowed" : "denied"} ${d.reason}${d.errorCode === undefined ? "" : ` [${d.errorCode}]`}${d.fromCache ? " (cache)" : ""}`,
      );
    }
  }

  /**
   * The requirements with the caller key of the per-caller introspection limit: the identity the peer's DTLS
   * session authenticated, so one peer cannot spend the budget of all (issue 10 4g); a new source port buys
   * no fresh budget. A session without one (no PSK) is keyed by its address.
   */
  #callerRequirements(peer: Endpoint): Requirements {
    const identity = this.#o.link.peerIdentity?.(peer);
    const byIdentity = identity !== undefined;
    const source = identity ?? peer.address;
    if (this.#callerReq !== undefined && this.#callerByIdentity === byIdentity && this.#callerSource === source) return this.#callerReq;
    const requirements = this.#requirements.with({ callerKey: byIdentity ? `psk:${source}` : `address:${source}` });
    this.#callerSource = source;
    this.#callerByIdentity = byIdentity;
    this.#callerReq = requirements;
    return requirements;
  }
}
