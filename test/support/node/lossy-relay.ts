/**
 * A seeded lossy UDP relay on loopback for fault-injection tests (CoAP now, DTLS later).
 *
 * Clients send to `relay.port`; the relay forwards to the server and sends the server's datagrams
 * back to the client they belong to (the most recent client, which is all these tests need).
 * Each datagram, in each direction, is dropped with probability `loss`, else forwarded, plus a
 * second copy with probability `duplicate`; with probability `reorder` it is held back for up to
 * `maxDelayMs`, so later datagrams overtake it. Decisions come from a seeded Prng.
 */
import dgram from "node:dgram";
import { Prng } from "../../harness/prng.js";

export interface LossyRelayOptions {
  readonly serverPort: number;
  readonly serverAddress?: string;
  readonly seed: number;
  readonly loss?: number;
  readonly duplicate?: number;
  readonly reorder?: number;
  readonly maxDelayMs?: number;
  /** Sees every datagram that arrives at the relay, before any decision. */
  readonly tap?: (datagram: Uint8Array, direction: "to-server" | "to-client") => void;
}

export interface RelayStats {
  received: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  forwarded: number;
}

export class LossyRelay {
  readonly stats: RelayStats = { received: 0, dropped: 0, duplicated: 0, delayed: 0, forwarded: 0 };
  readonly #socket: dgram.Socket;
  readonly #options: LossyRelayOptions;
  readonly #rng: Prng;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #client: { address: string; port: number } | undefined;
  #closed = false;
  /** While true, nothing from the server reaches the client (a peer that went away without a word). */
  muteServer = false;

  private constructor(socket: dgram.Socket, options: LossyRelayOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#rng = new Prng(options.seed);
    socket.on("message", (msg, from) => this.#onMessage(new Uint8Array(msg), from));
  }

  static async start(options: LossyRelayOptions): Promise<LossyRelay> {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", () => resolve());
    });
    return new LossyRelay(socket, options);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  #onMessage(data: Uint8Array, from: dgram.RemoteInfo): void {
    if (this.#closed) return;
    const serverAddress = this.#options.serverAddress ?? "127.0.0.1";
    const fromServer = from.port === this.#options.serverPort && from.address === serverAddress;
    if (!fromServer) this.#client = { address: from.address, port: from.port };
    const to = fromServer ? this.#client : { address: serverAddress, port: this.#options.serverPort };
    this.stats.received++;
    this.#options.tap?.(data, fromServer ? "to-client" : "to-server");
    if (to === undefined) return;
    if (fromServer && this.muteServer) {
      this.stats.dropped++;
      return;
    }
    const rng = this.#rng;
    if (rng.chance(this.#options.loss ?? 0)) {
      this.stats.dropped++;
      return;
    }
    const copies = rng.chance(this.#options.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      if (rng.chance(this.#options.reorder ?? 0)) {
        this.stats.delayed++;
        const t = setTimeout(
          () => {
            this.#timers.delete(t);
            this.#send(data, to);
          },
          1 + rng.below(this.#options.maxDelayMs ?? 10),
        );
        this.#timers.add(t);
      } else this.#send(data, to);
    }
  }

  #send(data: Uint8Array, to: { address: string; port: number }): void {
    if (this.#closed) return;
    this.stats.forwarded++;
    this.#socket.send(data, to.port, to.address);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#socket.close();
  }
}
