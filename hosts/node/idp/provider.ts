/**
 * The local identity provider's resources, as ../shared/IDP-API.md documents them, independent of the
 * transport: a CoAP request in, an answer (or a decision to drop it) out. The CoAPS server in
 * `server.ts` feeds it; tests can call it directly.
 *
 *   POST /idp/introspect  {"token", "client_id"?, "client_secret"?}
 *        2.01 {"active":true,"sub","scope","iss","exp"} | 2.01 {"active":false}
 *        4.01 {"error":"FORBIDDEN",...} when client credentials are required and wrong
 *        4.15 without Content-Format 50, 4.05 for any other method, 5.00 {"error":{"code":500,...,"request":id,...}} when the provider fails
 *   POST /as/token        {"client_id"?, "client_secret"?, "scope", "sub"?, "expires_in"?}  (demo issuer)
 *        2.01 {"access_token", "expires_in"}
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { MAX_ANSWER_BYTES } from "../../../src/idp/index.js";
import { TokenStore, tokenTag } from "./token-store.js";

export const CONTENT_FORMAT_JSON = 50;

/** CoAP codes as class*32 + detail. */
export const Code = {
  GET: 1,
  POST: 2,
  PUT: 3,
  DELETE: 4,
  CREATED: 65,
  BAD_REQUEST: 128,
  UNAUTHORIZED: 129,
  NOT_FOUND: 132,
  METHOD_NOT_ALLOWED: 133,
  UNSUPPORTED_CONTENT_FORMAT: 143,
  INTERNAL_SERVER_ERROR: 160,
} as const;

export interface ProviderRequest {
  readonly method: number;
  readonly path: string;
  readonly contentFormat: number | undefined;
  readonly payload: Uint8Array;
  /** For logs: "address:port". */
  readonly peer: string;
}

export interface ProviderAnswer {
  readonly code: number;
  readonly contentFormat?: number;
  readonly payload?: Uint8Array;
  /** Fault injection: do not answer at all. */
  readonly drop?: boolean;
  /** Fault injection: answer after this many milliseconds. */
  readonly delayMs?: number;
}

/** Faults the provider injects, each with a probability (delay in ms applies to every answer). */
export interface Faults {
  readonly delayMs: number;
  readonly drop: number;
  readonly error500: number;
  readonly garbage: number;
  readonly large: number;
}

export const NO_FAULTS: Faults = { delayMs: 0, drop: 0, error500: 0, garbage: 0, large: 0 };

/** Parses `delay=MS,drop=P,error500=P,garbage=P,large=P`. */
export function parseFaults(spec: string): Faults {
  const faults: Record<string, number> = { ...NO_FAULTS };
  for (const part of spec.split(",").filter((p) => p !== "")) {
    const [key, value] = part.split("=");
    const name = key === "delay" ? "delayMs" : key;
    const number = Number(value);
    if (name === undefined || !(name in faults) || value === undefined || !Number.isFinite(number) || number < 0) {
      throw new Error(`bad fault "${part}": expected delay=MS, drop=P, error500=P, garbage=P or large=P`);
    }
    if (name !== "delayMs" && number > 1) throw new Error(`bad fault "${part}": a probability is between 0 and 1`);
    faults[name] = number;
  }
  return faults as unknown as Faults;
}

export interface ProviderOptions {
  readonly store: TokenStore;
  /** Client credentials the provider requires; empty means none are required. */
  readonly clients?: ReadonlyMap<string, string>;
  readonly faults?: Faults;
  /** Probability source for faults (tests pass a seeded one). */
  readonly random?: () => number;
  readonly log?: (line: string) => void;
  /** The host name put in error_uri. */
  readonly host?: string;
}

const encoder = new TextEncoder();
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

export class Provider {
  readonly #store: TokenStore;
  readonly #clients: ReadonlyMap<string, string>;
  readonly #faults: Faults;
  readonly #random: () => number;
  readonly #log: (line: string) => void;
  readonly #host: string;
  #requests = 0;

  constructor(options: ProviderOptions) {
    this.#store = options.store;
    this.#clients = options.clients ?? new Map();
    this.#faults = options.faults ?? NO_FAULTS;
    this.#random = options.random ?? Math.random;
    this.#log = options.log ?? (() => {});
    this.#host = options.host ?? "idp.local.idpgate";
  }

  get store(): TokenStore {
    return this.#store;
  }

  handle(request: ProviderRequest): ProviderAnswer {
    const id = `req-${(++this.#requests).toString(36)}-${randomBytes(3).toString("hex")}`;
    const answer = this.#withFaults(id, request);
    const what = answer.drop ? "dropped" : `${Math.floor(answer.code / 32)}.${String(answer.code % 32).padStart(2, "0")}`;
    this.#log(
      `${request.peer} ${methodName(request.method)} /${request.path} -> ${what}${answer.delayMs ? ` after ${answer.delayMs} ms` : ""} ${id}`,
    );
    return answer;
  }

  #withFaults(id: string, request: ProviderRequest): ProviderAnswer {
    const f = this.#faults;
    const delay = f.delayMs > 0 ? { delayMs: f.delayMs } : {};
    if (f.drop > 0 && this.#random() < f.drop) return { code: 0, drop: true };
    if (f.error500 > 0 && this.#random() < f.error500) return { ...serverError(id), ...delay };
    if (f.garbage > 0 && this.#random() < f.garbage) {
      return { code: Code.CREATED, contentFormat: CONTENT_FORMAT_JSON, payload: encoder.encode('{"active": tru'), ...delay };
    }
    let answer: ProviderAnswer;
    try {
      answer = this.#route(request);
    } catch (error) {
      this.#log(`internal error ${id}: ${(error as Error).message}`);
      answer = serverError(id);
    }
    if (f.large > 0 && answer.code === Code.CREATED && this.#random() < f.large) answer = enlarge(answer);
    return { ...answer, ...delay };
  }

  #route(request: ProviderRequest): ProviderAnswer {
    switch (request.path) {
      case "idp/introspect":
        return request.method === Code.POST ? this.#introspect(request) : { code: Code.METHOD_NOT_ALLOWED };
      case "as/token":
        return request.method === Code.POST ? this.#issue(request) : { code: Code.METHOD_NOT_ALLOWED };
      default:
        return { code: Code.NOT_FOUND };
    }
  }

  #introspect(request: ProviderRequest): ProviderAnswer {
    const body = parseBody(request);
    if ("answer" in body) return body.answer;
    const { token, client_id: clientId, client_secret: clientSecret } = body.fields;
    if (this.#clients.size > 0 && !this.#authenticated(clientId, clientSecret)) return this.#forbidden();
    if (typeof token !== "string") return badRequest("token must be a string");
    const claims = this.#store.active(token);
    this.#log(`  introspect ${tokenTag(token)}: ${claims ? "active" : "inactive"}`);
    if (claims === undefined) return { code: Code.CREATED, contentFormat: CONTENT_FORMAT_JSON, payload: json({ active: false }) };
    return {
      code: Code.CREATED,
      contentFormat: CONTENT_FORMAT_JSON,
      payload: json({ active: true, sub: claims.sub, scope: claims.scope, iss: claims.iss, exp: claims.exp, ...claims.extra }),
    };
  }

  #issue(request: ProviderRequest): ProviderAnswer {
    const body = parseBody(request);
    if ("answer" in body) return body.answer;
    const { client_id: clientId, client_secret: clientSecret, scope, sub, expires_in: expiresIn } = body.fields;
    if (this.#clients.size > 0 && !this.#authenticated(clientId, clientSecret)) return this.#forbidden();
    if (typeof scope !== "string") return badRequest("scope must be a string");
    const lifetime = typeof expiresIn === "number" && Number.isFinite(expiresIn) ? Math.trunc(expiresIn) : 3600;
    const owner = typeof sub === "string" ? sub : typeof clientId === "string" ? clientId : "anonymous";
    const token = this.#store.issue({ sub: owner, scope, lifetimeSeconds: lifetime });
    this.#log(`  issued ${tokenTag(token)} to ${owner} for "${scope}", ${lifetime} s`);
    return { code: Code.CREATED, contentFormat: CONTENT_FORMAT_JSON, payload: json({ access_token: token, expires_in: lifetime }) };
  }

  #authenticated(id: unknown, secret: unknown): boolean {
    if (typeof id !== "string" || typeof secret !== "string") return false;
    const expected = this.#clients.get(id);
    if (expected === undefined) return false;
    const a = Buffer.from(secret);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  #forbidden(): ProviderAnswer {
    return {
      code: Code.UNAUTHORIZED,
      contentFormat: CONTENT_FORMAT_JSON,
      payload: json({ error: "FORBIDDEN", error_uri: this.#host, error_description: "The requested action was forbidden" }),
    };
  }
}

type Body = { fields: Record<string, unknown> } | { answer: ProviderAnswer };

function parseBody(request: ProviderRequest): Body {
  // IDP-API: the body is application/json (50); one without a Content-Format (or with text/plain, 0) is not
  // guessed at (RFC 7252 §5.10.3, §5.9.2.9).
  if (request.contentFormat !== CONTENT_FORMAT_JSON) return { answer: { code: Code.UNSUPPORTED_CONTENT_FORMAT } };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(request.payload));
  } catch {
    return { answer: badRequest("the body is not JSON") };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { answer: badRequest("the body is not a JSON object") };
  return { fields: value as Record<string, unknown> };
}

function badRequest(description: string): ProviderAnswer {
  return {
    code: Code.BAD_REQUEST,
    contentFormat: CONTENT_FORMAT_JSON,
    payload: json({ error: "BAD_REQUEST", error_description: description }),
  };
}

function serverError(id: string): ProviderAnswer {
  return {
    code: Code.INTERNAL_SERVER_ERROR,
    contentFormat: CONTENT_FORMAT_JSON,
    payload: json({
      error: {
        code: 500,
        status: "Internal Server Error",
        request: id,
        message: "An internal server error occurred, please contact the system administrator",
      },
    }),
  };
}

/** Entries of the `large` fault's `padding` claim: about 50 bytes each, past the client's default limit by 1 KB. */
export const LARGE_FAULT_PADDING = Math.ceil((MAX_ANSWER_BYTES + 1024) / 50);

/** The `large` fault: the same answer with extra claims, above a client's default answer limit (Block2). */
function enlarge(answer: ProviderAnswer): ProviderAnswer {
  if (answer.payload === undefined) return answer;
  const value = JSON.parse(new TextDecoder().decode(answer.payload)) as Record<string, unknown>;
  value.padding = Array.from({ length: LARGE_FAULT_PADDING }, (_, i) => `claim-${String(i).padStart(3, "0")}-${"x".repeat(40)}`);
  return { ...answer, payload: json(value) };
}

function methodName(method: number): string {
  return ["EMPTY", "GET", "POST", "PUT", "DELETE"][method] ?? `method-${method}`;
}
