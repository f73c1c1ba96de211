/**
 * The local identity provider on the network: the CoAP server driver (src/coap/server-driver.ts) on a
 * datagram transport (hosts/node/server-transport.ts: plain UDP, or DTLS through our server role),
 * answering with `Provider`. Only the answers are here: the driver owns the pump.
 */
import { CoapServerDriver, type ServerRequest } from "../../../src/coap/index.js";
import { nodeMonotonicClock, nodeUnrefTimers } from "../ports.js";
import type { Provider } from "./provider.js";
import type { ServerTransport } from "../server-transport.js";

export class IdpServer {
  readonly #server: CoapServerDriver;
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(
    readonly transport: ServerTransport,
    readonly provider: Provider,
  ) {
    this.#server = new CoapServerDriver({
      link: transport,
      clock: nodeMonotonicClock,
      timers: nodeUnrefTimers,
      handler: (req) => this.#handle(req),
    });
  }

  get port(): number {
    return this.transport.port;
  }

  #handle(req: ServerRequest): void {
    const answer = this.provider.handle({
      method: req.method,
      path: req.path,
      contentFormat: req.contentFormat,
      payload: req.payload,
      peer: `${req.peer.address}:${req.peer.port}`,
    });
    if (answer.drop) this.#server.drop(req);
    else if (answer.delayMs !== undefined && answer.delayMs > 0) {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        this.#server.respond(req, answer);
      }, answer.delayMs);
      this.#timers.add(t);
    } else this.#server.respond(req, answer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.transport.close();
  }
}
