/**
 * The buffer the CoAP server engine (server.ts) writes its replies into, reused reply after reply: a link is
 * done with a datagram when its send returns (DatagramLink.send, src/ports.ts), and the engine's `transmit`
 * hands each reply to send at once. A reply made while the buffer still waits in the transmit queue gets a
 * buffer of its own, so queued replies never share bytes.
 */

/** Views of the buffer kept by length (the answers of a gate come in a few lengths). */
const REPLY_VIEWS = 4;
/** The buffer's first size; it grows (to a power of two) only for a longer reply. */
const REPLY_BUFFER_BYTES = 64;

export class ReplyBuffer {
  #buffer = new ArrayBuffer(0);
  /** Views of #buffer by length, REPLY_VIEWS at most (pushed densely, replaced in turn). */
  readonly #views: Uint8Array[] = [];
  #next = 0;
  /** #buffer holds a reply not yet handed to send. */
  #queued = false;

  /** `length` bytes to write a reply into (every one of them written before it is queued). */
  take(length: number): Uint8Array {
    if (this.#queued) return new Uint8Array(length);
    this.#queued = true;
    if (length > this.#buffer.byteLength) {
      let size = REPLY_BUFFER_BYTES;
      while (size < length) size *= 2;
      this.#buffer = new ArrayBuffer(size);
      this.#views.length = 0; // views of the old buffer
      this.#next = 0;
    }
    const views = this.#views;
    for (let k = 0; k < views.length; k++) if (views[k]!.length === length) return views[k]!;
    const view = new Uint8Array(this.#buffer, 0, length);
    if (views.length < REPLY_VIEWS) views.push(view);
    else {
      views[this.#next] = view;
      this.#next = (this.#next + 1) % REPLY_VIEWS;
    }
    return view;
  }

  /** `bytes` left the transmit queue; true when they are this buffer's (free again: keep them no longer). */
  sent(bytes: Uint8Array): boolean {
    if (bytes.buffer !== this.#buffer) return false;
    this.#queued = false;
    return true;
  }
}
