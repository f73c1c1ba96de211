/**
 * RefusalTally: what a server turns away (peers evicted for a newcomer, newcomers refused, sessions that
 * failed), counted always and logged at a bounded rate. A flood of half-open handshakes must not become a
 * flood of log lines (the Node gate printed one per refused datagram, ~2,800 in one attack run), so the
 * first refusal is logged at once and later ones are summed into at most one line per `intervalMs`, with
 * the counts since the line before. A line holds counts and error codes only: never a key, token or payload.
 *
 * Sans-IO: `now` is an argument; pollTimeout() says when a pending summary is due, handleTimeout(now) logs it.
 */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

export type RefusalKind = "evicted" | "refused" | "failed";

export class RefusalTally {
  /** Totals since start. */
  evicted = 0;
  refused = 0;
  failed = 0;
  /** Lines logged. */
  lines = 0;
  readonly #log: (line: string) => void;
  readonly #intervalMs: number;
  readonly #what: string;
  readonly #since = { evicted: 0, refused: 0, failed: 0 };
  #lastFailure: string | undefined;
  #lastLineAt: number | undefined;
  #pending = false;

  /** `what` names the server in its lines ("dtls server 0.0.0.0:5684"). */
  constructor(what: string, log: (line: string) => void, intervalMs = REFUSAL_LOG_INTERVAL_MS) {
    this.#what = what;
    this.#log = log;
    this.#intervalMs = Math.max(1, intervalMs);
  }

  /** Counts one refusal; `code` is the failure's error code (kept for the line, e.g. dtls.handshake_timeout). */
  count(kind: RefusalKind, now: number, code?: string): void {
    this[kind]++;
    this.#since[kind]++;
    if (kind === "failed" && code !== undefined) this.#lastFailure = code;
    this.#pending = true;
    if (this.#lastLineAt === undefined || now - this.#lastLineAt >= this.#intervalMs) this.#emit(now);
  }

  /** When the pending summary is due, or undefined when nothing waits. */
  pollTimeout(): number | undefined {
    return this.#pending && this.#lastLineAt !== undefined ? this.#lastLineAt + this.#intervalMs : undefined;
  }

  handleTimeout(now: number): void {
    if (this.#pending && this.#lastLineAt !== undefined && now - this.#lastLineAt >= this.#intervalMs) this.#emit(now);
  }

  #emit(now: number): void {
    const s = this.#since;
    const span = this.#lastLineAt === undefined ? "" : ` in the last ${Math.round((now - this.#lastLineAt) / 1000)} s`;
    const failure = s.failed > 0 && this.#lastFailure !== undefined ? ` (last ${this.#lastFailure})` : "";
    this.#log(`${this.#what}: ${s.evicted} evicted, ${s.refused} refused, ${s.failed} failed${failure}${span}`);
    this.lines++;
    s.evicted = s.refused = s.failed = 0;
    this.#lastFailure = undefined;
    this.#lastLineAt = now;
    this.#pending = false;
  }
}
