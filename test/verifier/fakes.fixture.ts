/** Test doubles for the verifier suites: a scripted identity provider, a seeded RandomSource, a wall clock. */
import { FakeClock, Prng } from "../harness/index.js";
import { IdpUnavailable, IntrospectionClaims, IdpUnauthorized, type ClaimFields, type Introspector } from "../../src/idp/index.js";
import type { RandomSource, WallClock } from "../../src/ports.js";

/** The wall clock the verifier suites start at (ms), and the claims of a token active for an hour from then. */
export const EPOCH = 1_700_000_000_000;
export const ACTIVE: ClaimFields = {
  active: true,
  sub: "dev-1",
  scope: "relay.switch tenant.demo",
  iss: "https://idp/",
  exp: EPOCH / 1000 + 3600,
};

export class PrngRandom implements RandomSource {
  readonly #prng: Prng;
  constructor(seed: number) {
    this.#prng = new Prng(seed);
  }
  fill(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.#prng.u32() & 0xff;
  }
}

/** A wall clock that follows a monotonic FakeClock from `epochMs`, or is unsynchronised. */
export class FakeWall implements WallClock {
  synced = true;
  constructor(
    readonly clock: FakeClock,
    public epochMs: number,
  ) {}
  now(): number | undefined {
    return this.synced ? this.epochMs + this.clock.now() : undefined;
  }
}

export type Mode = "answer" | "down" | "unauthorized" | "deferred";

/** The provider: answers `claimsOf(token)` or fails as `mode` says; counts calls. */
export class FakeIdp implements Introspector {
  calls = 0;
  mode: Mode = "answer";
  readonly pending: Array<() => void> = [];
  constructor(public claimsOf: (token: string) => ClaimFields) {}

  introspect(token: string): Promise<IntrospectionClaims> {
    this.calls++;
    const fields = this.claimsOf(token);
    switch (this.mode) {
      case "down":
        return Promise.reject(new IdpUnavailable(new Error("timeout")));
      case "unauthorized":
        return Promise.reject(new IdpUnauthorized({ coapCode: 129 }));
      case "deferred":
        return new Promise((resolve) => this.pending.push(() => resolve(new IntrospectionClaims(fields))));
      default:
        return Promise.resolve(new IntrospectionClaims(fields));
    }
  }

  release(): void {
    for (const r of this.pending.splice(0)) r();
  }
}

/** Lets queued promise reactions run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
