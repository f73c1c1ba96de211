/**
 * The local identity provider on the network: a CoAP server engine (src/coap/server.ts) fed by a
 * datagram transport (hosts/node/server-transport.ts: plain UDP, or DTLS through our server role) and
 * answering with `Provider`.
 */
import { performance } from "node:perf_hooks";
import { CoapServerEngine } from "../../../src/coap/index.js";
import type { Endpoint } from "../../../src/ports.js";
import type { Provider } from "./provider.js";
import type { ServerTransport } from "../server-transport.js";

export class IdpServer {
  readonly #engine = new CoapServerEngine();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(
    readonly transport: ServerTransport,
    readonly provider: Provider,
  ) {
    transport.onDatagram((data, from) => this.#receive(data, from));
  }

  get port(): number {
    return this.transport.port;
  }

  #receive(data: Uint8Array, from: Endpoint): void {
    if (this.#closed) return;
    const now = performance.now();
    this.#engine.handleTimeout(now);
    this.#engine.handleDatagram(data, from, now);
    for (let req = this.#engine.pollEvent(); req !== undefined; req = this.#engine.pollEvent()) {
      const answer = this.provider.handle({
        method: req.method,
        path: req.path,
        contentFormat: req.contentFormat,
        payload: req.payload,
        peer: `${from.address}:${from.port}`,
      });
      const id = req.id;
      if (answer.drop) {
        this.#engine.drop(id);
        continue;
      }
      const respond = (): void => {
        this.#engine.respond(id, answer, performance.now());
        this.#flush();
      };
      if (answer.delayMs !== undefined && answer.delayMs > 0) {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          if (!this.#closed) respond();
        }, answer.delayMs);
        this.#timers.add(t);
      } else respond();
    }
    this.#flush();
  }

  #flush(): void {
    for (let t = this.#engine.pollTransmit(); t !== undefined; t = this.#engine.pollTransmit()) this.transport.send(t.bytes, t.to);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.transport.close();
  }
}
