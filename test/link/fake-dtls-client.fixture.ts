/**
 * A model of modules/dtls's client session (DtlsClientSession) for the client driver's virtual-clock suite: the
 * same contract (events in order, "connected" once, one final "closed" with the error unless we closed it,
 * close_notify only from a connected session, a retransmission timer that doubles and gives up, misuse
 * throws), with readable datagrams in place of records. It sends "hello" (again on each retransmission),
 * "finished", "enc:<text>", "close_notify". The server's datagrams: "flight" (the handshake completes),
 * "enc:<text>", "burst:<n>" (n data events at once), "alert:<code>" (a fatal alert), "close_notify".
 */
import { IdpgateError } from "../../src/errors.js";
import { utf8Decode, utf8Encode } from "../../src/utf8.js";
import type { DtlsClientEvent, DtlsClientSession } from "../../src/link/dtls-client-session.js";

export const FAKE_RTO_MS = 1000;
/** Sends of the ClientHello before the handshake gives up (dtls.handshake_timeout). */
export const FAKE_HELLO_SENDS = 4;
export const FAKE_MAX_PAYLOAD = 100;

export class FakeDtlsClient implements DtlsClientSession {
  state: "idle" | "handshaking" | "connected" | "closed" = "idle";
  readonly #transmit: Uint8Array[] = [];
  readonly #events: DtlsClientEvent[] = [];
  #retransmitAt: number | undefined;
  #rto = FAKE_RTO_MS;
  #hellos = 0;
  freed = 0;
  starts = 0;

  start(now: number): void {
    if (this.state !== "idle") throw new IdpgateError("dtls.bad_state", "caller", "started twice");
    this.starts++;
    this.state = "handshaking";
    this.#hello(now);
  }

  handleDatagram(bytes: Uint8Array): void {
    if (this.freed > 0) return;
    const text = utf8Decode(bytes);
    if (this.state === "handshaking") {
      if (text === "flight") {
        this.state = "connected";
        this.#retransmitAt = undefined;
        this.#send("finished");
        this.#events.push({ type: "connected" });
      } else if (text.startsWith("alert:")) this.#fail(text.slice(6), "peer");
      return;
    }
    if (this.state !== "connected") return;
    if (text.startsWith("enc:")) this.#events.push({ type: "data", data: utf8Encode(text.slice(4)) });
    else if (text.startsWith("burst:"))
      for (let i = 0; i < Number(text.slice(6)); i++) this.#events.push({ type: "data", data: utf8Encode(`b${i}`) });
    else if (text.startsWith("alert:")) this.#fail(text.slice(6), "peer");
    else if (text === "close_notify") this.#fail("dtls.peer_closed", "peer");
  }

  handleTimeout(now: number): void {
    if (this.state !== "handshaking" || this.#retransmitAt === undefined || now < this.#retransmitAt) return;
    if (this.#hellos >= FAKE_HELLO_SENDS) {
      this.#retransmitAt = undefined;
      this.#fail("dtls.handshake_timeout", "environment");
      return;
    }
    this.#rto *= 2;
    this.#hello(now);
  }

  pollTransmit(): Uint8Array | undefined {
    return this.#transmit.shift();
  }

  pollTimeout(): number | undefined {
    return this.freed > 0 ? undefined : this.#retransmitAt;
  }

  pollEvent(): DtlsClientEvent | undefined {
    return this.#events.shift();
  }

  write(data: Uint8Array): void {
    if (this.state !== "connected" || this.freed > 0) throw new IdpgateError("dtls.closed", "caller", "not connected");
    if (data.length > FAKE_MAX_PAYLOAD) throw new IdpgateError("dtls.datagram_too_big", "caller", "too big");
    this.#send(`enc:${utf8Decode(data)}`);
  }

  close(): void {
    if (this.freed > 0) throw new IdpgateError("dtls.closed", "caller", "freed");
    if (this.state === "connected") this.#send("close_notify");
    this.state = "closed";
    this.#retransmitAt = undefined;
  }

  get maxPayload(): number {
    return this.state === "connected" && this.freed === 0 ? FAKE_MAX_PAYLOAD : 0;
  }

  get suite(): string | undefined {
    return this.state === "connected" && this.freed === 0 ? "TLS-PSK-WITH-AES-128-CCM-8" : undefined;
  }

  free(): void {
    this.freed++;
    this.#transmit.length = 0;
    this.#events.length = 0;
  }

  #hello(now: number): void {
    this.#hellos++;
    this.#send("hello");
    this.#retransmitAt = now + this.#rto;
  }

  #fail(code: string, fault: "peer" | "environment"): void {
    this.state = "closed";
    if (code !== "dtls.peer_closed") this.#send("alert");
    this.#events.push({ type: "closed", error: new IdpgateError(code, fault, code) });
  }

  #send(text: string): void {
    this.#transmit.push(utf8Encode(text));
  }
}
