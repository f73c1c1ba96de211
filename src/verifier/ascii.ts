/**
 * The one test of "a token read in place": its bytes are printable ASCII (0x21..0x7e, what an access token
 * is), so they are its UTF-8 and its characters alike, and digesting them gives the string's digest. The
 * native digest (modules/digest) makes the same test in C.
 */

/** RangeError unless 0 <= start <= end <= bytes.length. */
export function checkByteRange(bytes: Uint8Array, start: number, end: number): void {
  if (!(start >= 0 && start <= end && end <= bytes.length)) throw new RangeError("range outside the bytes");
}

/** Whether every byte of `bytes[start, end)` is printable ASCII; RangeError for a range outside the bytes. */
export function isPrintableAscii(bytes: Uint8Array, start: number, end: number): boolean {
  checkByteRange(bytes, start, end);
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x21 || b > 0x7e) return false;
  }
  return true;
}
