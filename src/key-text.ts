/**
 * Keys as people write them in configuration: UTF-8 text, or `hex:` followed by an even number of hex
 * digits (`hex:00112233`). One parser for every place a key is read (the CLI, the gate's config, the
 * TokenVerifier options, the Node DTLS options), so a key means the same bytes everywhere.
 */
import { ArgumentError } from "./errors.js";
import { utf8Encode } from "./utf8.js";

/** The longest PSK mbedtls accepts (MBEDTLS_PSK_MAX_LEN's default): longer keys are refused here, early. */
export const MAX_KEY_BYTES = 32;

const HEX_PREFIX = "hex:";

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * The bytes of `key` (text, `hex:...` or bytes, which are returned as they are). Throws an ArgumentError
 * `key.malformed` for an empty key, bad hex or a key longer than `maxBytes`; the message names `what`
 * and never echoes the key.
 */
export function keyFromText(key: string | Uint8Array, what = "key", maxBytes = MAX_KEY_BYTES): Uint8Array {
  let out: Uint8Array;
  if (typeof key !== "string") out = key;
  else if (key.startsWith(HEX_PREFIX)) {
    const digits = key.length - HEX_PREFIX.length;
    if (digits === 0 || digits % 2 !== 0)
      throw new ArgumentError("key.malformed", `${what}: a hex: key needs an even, non-zero number of hex digits`);
    out = new Uint8Array(digits / 2);
    for (let i = 0; i < out.length; i++) {
      const hi = hexDigit(key.charCodeAt(HEX_PREFIX.length + 2 * i));
      const lo = hexDigit(key.charCodeAt(HEX_PREFIX.length + 2 * i + 1));
      if (hi < 0 || lo < 0) throw new ArgumentError("key.malformed", `${what}: a hex: key holds only the digits 0-9, a-f`);
      out[i] = (hi << 4) | lo;
    }
  } else out = utf8Encode(key);
  if (out.length === 0) throw new ArgumentError("key.malformed", `${what} is empty`);
  if (out.length > maxBytes) throw new ArgumentError("key.malformed", `${what} is longer than ${maxBytes} bytes`);
  return out;
}
