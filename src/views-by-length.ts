/**
 * Views of one buffer, kept by length, a few at most (the oldest replaced in turn): datagrams of a kind come in
 * few lengths (a gate's replies, one peer's records), so one of a length seen before costs no view (issue 13:
 * nothing allocated per datagram). The array is filled densely (push-only: see docs/CONVENTIONS.md, XS engine).
 */
export class ViewsByLength {
  #buffer: ArrayBuffer;
  readonly #views: Uint8Array[] = [];
  readonly #max: number;
  #next = 0;

  constructor(buffer: ArrayBuffer, max = 4) {
    this.#buffer = buffer;
    this.#max = max;
  }

  get buffer(): ArrayBuffer {
    return this.#buffer;
  }

  /** Views `buffer` from now on (the old buffer's views are dropped). */
  reset(buffer: ArrayBuffer): void {
    this.#buffer = buffer;
    this.#views.length = 0;
    this.#next = 0;
  }

  /** The first `length` bytes of the buffer (length at most its size). */
  view(length: number): Uint8Array {
    const views = this.#views;
    for (let k = 0; k < views.length; k++) if (views[k]!.length === length) return views[k]!;
    const view = new Uint8Array(this.#buffer, 0, length);
    if (views.length < this.#max) views.push(view);
    else {
      views[this.#next] = view;
      this.#next = (this.#next + 1) % this.#max;
    }
    return view;
  }
}
