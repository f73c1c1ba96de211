/**
 * The buffer the CoAP server engine (server.ts) writes its replies into, reused reply after reply: a link is
 * done with a datagram when its send returns (DatagramLink.send, src/ports.ts), and the engine's `transmit`
 * hands each reply to send at once. A reply made while the buffer still waits in the transmit queue gets a
 * buffer of its own, so queued replies never share bytes.
 */
import { ViewsByLength } from "../views-by-length.js";

/** The buffer's first size; it grows (to a power of two) only for a longer reply. */
const REPLY_BUFFER_BYTES = 64;

export class ReplyBuffer {
  readonly #views = new ViewsByLength(new ArrayBuffer(0));
  /** The buffer holds a reply not yet handed to send. */
  #queued = false;

  /** `length` bytes to write a reply into (every one of them written before it is queued). */
  take(length: number): Uint8Array {
    if (this.#queued) return new Uint8Array(length);
    this.#queued = true;
    if (length > this.#views.buffer.byteLength) {
      let size = REPLY_BUFFER_BYTES;
      while (size < length) size *= 2;
      this.#views.reset(new ArrayBuffer(size));
    }
    return this.#views.view(length);
  }

  /** `bytes` left the transmit queue; true when they are this buffer's (free again: keep them no longer). */
  sent(bytes: Uint8Array): boolean {
    if (bytes.buffer !== this.#views.buffer) return false;
    this.#queued = false;
    return true;
  }
}
