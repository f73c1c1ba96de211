/**
 * A small JSON writer for request bodies: UTF-8 into a caller buffer, commas handled for the caller.
 *
 * Escaping (RFC 8259 section 7): `"` and `\` are escaped, control characters below U+0020 use the
 * short forms (`\b \f \n \r \t`) or `\u00XX`; everything else is written as UTF-8 (`/`, DEL, U+2028
 * are legal unescaped). A lone surrogate in a JS string is not Unicode text and cannot be encoded as
 * UTF-8: the writer throws `json.lone_surrogate` rather than emit `\uD800` (which our own tokenizer,
 * like many strict peers, would reject).
 *
 * With no buffer the writer only measures: `offset` is then the exact size to allocate.
 *
 * @example
 * const w = new JsonWriter(new Uint8Array(128));
 * w.beginObject(); w.key("token"); w.string(token); w.endObject();
 * send(buffer.subarray(0, w.offset));
 */
import { JsonError } from "./errors.js";

/** Deepest nesting the writer tracks. */
export const JSON_WRITER_MAX_DEPTH = 30;

const HEX = "0123456789abcdef";

export class JsonWriter {
  readonly #buf: Uint8Array | undefined;
  #pos: number;
  #depth = 0;
  /** Bit d set: the container at depth d already holds an element. */
  #nonEmpty = 0;
  #afterKey = false;
  /** Bit d set: the container at depth d is an object. */
  #objects = 0;

  /** Writes into `buffer` from `offset`; without a buffer, only counts bytes. */
  constructor(buffer?: Uint8Array, offset = 0) {
    this.#buf = buffer;
    this.#pos = offset;
  }

  /** Offset just after the last byte written (the size, in measuring mode). */
  get offset(): number {
    return this.#pos;
  }

  #byte(b: number): void {
    const buf = this.#buf;
    if (buf !== undefined) {
      if (this.#pos >= buf.length) throw new JsonError("json.buffer_too_small", this.#pos, "output buffer too small", "caller");
      buf[this.#pos] = b;
    }
    this.#pos++;
  }

  #beforeValue(): void {
    if (this.#afterKey) {
      this.#afterKey = false;
      return;
    }
    if (this.#depth === 0) {
      if (this.#nonEmpty & 1) throw new JsonError("json.writer_state", this.#pos, "a JSON text holds one value", "caller");
      this.#nonEmpty |= 1;
    } else {
      const bit = 1 << this.#depth;
      if (this.#objects & bit) throw new JsonError("json.writer_state", this.#pos, "a member needs a key first", "caller");
      if (this.#nonEmpty & bit) this.#byte(0x2c);
      this.#nonEmpty |= bit;
    }
  }

  #open(b: number, object: boolean): void {
    this.#beforeValue();
    if (this.#depth >= JSON_WRITER_MAX_DEPTH) throw new JsonError("json.writer_state", this.#pos, "nesting too deep", "caller");
    this.#byte(b);
    this.#depth++;
    const bit = 1 << this.#depth;
    this.#nonEmpty &= ~bit;
    this.#objects = object ? this.#objects | bit : this.#objects & ~bit;
  }

  #close(b: number, object: boolean): void {
    const bit = 1 << this.#depth;
    if (this.#depth === 0 || this.#afterKey || ((this.#objects & bit) !== 0) !== object) {
      throw new JsonError("json.writer_state", this.#pos, "close does not match open", "caller");
    }
    this.#byte(b);
    this.#depth--;
  }

  beginObject(): this {
    this.#open(0x7b, true);
    return this;
  }
  endObject(): this {
    this.#close(0x7d, true);
    return this;
  }
  beginArray(): this {
    this.#open(0x5b, false);
    return this;
  }
  endArray(): this {
    this.#close(0x5d, false);
    return this;
  }

  /** Writes a member key (and the colon) inside an object. */
  key(name: string): this {
    const bit = 1 << this.#depth;
    if (this.#depth === 0 || (this.#objects & bit) === 0 || this.#afterKey) {
      throw new JsonError("json.writer_state", this.#pos, "a key belongs directly inside an object", "caller");
    }
    if (this.#nonEmpty & bit) this.#byte(0x2c);
    this.#nonEmpty |= bit;
    this.#quoted(name);
    this.#byte(0x3a);
    this.#afterKey = true;
    return this;
  }

  /** Writes a key and a string value. */
  member(name: string, value: string): this {
    return this.key(name).string(value);
  }

  string(value: string): this {
    this.#beforeValue();
    this.#quoted(value);
    return this;
  }

  number(value: number): this {
    if (!Number.isFinite(value)) throw new JsonError("json.not_finite", this.#pos, "JSON has no NaN or Infinity", "caller");
    this.#beforeValue();
    this.#ascii(Object.is(value, -0) ? "0" : String(value));
    return this;
  }

  boolean(value: boolean): this {
    this.#beforeValue();
    this.#ascii(value ? "true" : "false");
    return this;
  }

  null(): this {
    this.#beforeValue();
    this.#ascii("null");
    return this;
  }

  #ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.#byte(s.charCodeAt(i));
  }

  #quoted(s: string): void {
    this.#byte(0x22);
    const n = s.length;
    const buf = this.#buf;
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c) {
        // The common case: a run of plain ASCII written in place, without a call per byte.
        let pos = this.#pos;
        let j = i;
        for (; j < n; j++) {
          const p = s.charCodeAt(j);
          if (p < 0x20 || p >= 0x80 || p === 0x22 || p === 0x5c) break;
          if (buf !== undefined) {
            if (pos >= buf.length) throw new JsonError("json.buffer_too_small", pos, "output buffer too small", "caller");
            buf[pos] = p;
          }
          pos++;
        }
        this.#pos = pos;
        i = j - 1;
      } else if (c === 0x22 || c === 0x5c) {
        this.#byte(0x5c);
        this.#byte(c);
      } else if (c < 0x20) {
        this.#byte(0x5c);
        const short = c === 0x08 ? 0x62 : c === 0x0c ? 0x66 : c === 0x0a ? 0x6e : c === 0x0d ? 0x72 : c === 0x09 ? 0x74 : 0;
        if (short !== 0) {
          this.#byte(short);
        } else {
          this.#ascii("u00");
          this.#byte(HEX.charCodeAt(c >> 4));
          this.#byte(HEX.charCodeAt(c & 15));
        }
      } else if (c < 0x800) {
        this.#byte(0xc0 | (c >> 6));
        this.#byte(0x80 | (c & 0x3f));
      } else if (c < 0xd800 || (c > 0xdfff && c < 0x10000)) {
        this.#byte(0xe0 | (c >> 12));
        this.#byte(0x80 | ((c >> 6) & 0x3f));
        this.#byte(0x80 | (c & 0x3f));
      } else {
        // A pair of UTF-16 units, or (XS's UTF-8 strings: src/utf8.ts) a whole code point above 0xFFFF.
        if (c < 0x10000) {
          const low = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (c > 0xdbff || low < 0xdc00 || low > 0xdfff)
            throw new JsonError("json.lone_surrogate", this.#pos, "string holds a lone surrogate", "caller");
          i++;
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        }
        this.#byte(0xf0 | (c >> 18));
        this.#byte(0x80 | ((c >> 12) & 0x3f));
        this.#byte(0x80 | ((c >> 6) & 0x3f));
        this.#byte(0x80 | (c & 0x3f));
      }
    }
    this.#byte(0x22);
  }
}
