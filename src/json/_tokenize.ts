/**
 * The tokenizer core: one pass over UTF-8 bytes, RFC 8259, no recursion, no allocation.
 *
 * Tokens are four Int32 fields each (16 bytes) in a caller-owned array (jsmn layout plus a parent link):
 *   [type | size << SIZE_SHIFT, start, end, parent]
 * - strings: start/end exclude the quotes (escapes are kept verbatim, decoded on read); a string
 *   holding an escape has ESCAPED or-ed into its type, so readers take the text of the others as is;
 * - objects/arrays: start at the opening bracket, end just after the closing one;
 * - size: members of an object, elements of an array, 1 for a key, 0 for a scalar;
 * - parent: the enclosing array, or the key for an object member's value, or -1 for the root.
 *
 * Theory of operation: the state says what may come next, and ACTIONS, a state x character-class table
 * (below, one row per state), says what the next byte does there; whitespace is skipped before every byte.
 * The open containers form a chain through `parent`, so no stack is needed. Reaching the end of the input
 * anywhere but after the complete top-level value is `json.truncated`, so every proper prefix of a valid
 * document is either itself valid (`12` of `123`) or truncated: a caller can tell "wait for more bytes"
 * from "reject" (RFC 8259 section 2 to 8). Strings, numbers and literals are scanned by _scan.ts.
 *
 * With `text` (the input as a string of the same length, every character printable ASCII or tab, line
 * feed, carriage return: see plainText in _text.ts) a string is found with the engine's indexOf: its end
 * is the next quote, and it is plain when no backslash, tab, line feed or carriage return comes first.
 * Any other string is scanned byte by byte as without `text`, so errors and their offsets are the same.
 */
import { JsonError } from "./errors.js";
import { indexOf, startsWith } from "./_chars.js";
import { fail, scanLiteral, scanNumber, scanString } from "./_scan.js";

export const T_OBJECT = 1;
export const T_ARRAY = 2;
export const T_STRING = 3;
export const T_NUMBER = 4;
export const T_TRUE = 5;
export const T_FALSE = 6;
export const T_NULL = 7;
export const FIELDS = 4;
/** The type, with ESCAPED, in the low 4 bits; the size above them (at most 65,535: it fits). */
export const F_TYPE = 0;
export const F_START = 1;
export const F_END = 2;
export const F_PARENT = 3;
export const SIZE_SHIFT = 4;
const SIZE_ONE = 1 << SIZE_SHIFT;
/** Or-ed into the type of a string token that holds an escape. */
export const ESCAPED = 8;
export const TYPE_MASK = 7;

// Character classes (RFC 8259 section 2: structural characters and whitespace; the first byte of a value).
const C_WS = 0; // space, tab, line feed, carriage return
const C_LBRACE = 1;
const C_RBRACE = 2;
const C_LBRACKET = 3;
const C_RBRACKET = 4;
const C_COLON = 5;
const C_COMMA = 6;
const C_QUOTE = 7;
const C_NUMBER = 8; // '-' and the digits
const C_T = 9;
const C_F = 10;
const C_N = 11;
const C_OTHER = 12;
const CLASSES = 13;

/** The class of every byte value. */
const CLASS = new Uint8Array(256).fill(C_OTHER);
CLASS[0x20] = CLASS[0x09] = CLASS[0x0a] = CLASS[0x0d] = C_WS;
CLASS[0x7b] = C_LBRACE;
CLASS[0x7d] = C_RBRACE;
CLASS[0x5b] = C_LBRACKET;
CLASS[0x5d] = C_RBRACKET;
CLASS[0x3a] = C_COLON;
CLASS[0x2c] = C_COMMA;
CLASS[0x22] = C_QUOTE;
CLASS[0x2d] = C_NUMBER;
for (let d = 0x30; d <= 0x39; d++) CLASS[d] = C_NUMBER;
CLASS[0x74] = C_T;
CLASS[0x66] = C_F;
CLASS[0x6e] = C_N;

// Actions. A value (STR..BADV) takes a token first: BADV is a byte that starts no value where one must
// come, reported after the pool check as the if-cascade before this table did.
const BAD = 0; // json.unexpected_byte
const TRC = 1; // json.trailing_comma
const TRD = 2; // json.trailing_data
const KEY = 3; // a member's name; then COLON
const COL = 4; // ':'
const COM = 5; // ',' after a member or an element
const CLO = 6; // the closing bracket of the open container
const STR = 7; // values from here on
const NUM = 8;
const TRU = 9;
const FAL = 10;
const NUL = 11;
const OBJ = 12;
const ARR = 13;
const BADV = 14;

// States, each the offset of its row in ACTIONS.
const S_VALUE = 0 * CLASSES; // top level, or after ':'
const S_VALUE_OR_CLOSE = 1 * CLASSES; // after '['
const S_VALUE_AFTER_COMMA = 2 * CLASSES; // after ',' in an array
const S_KEY_OR_CLOSE = 3 * CLASSES; // after '{'
const S_KEY_AFTER_COMMA = 4 * CLASSES; // after ',' in an object
const S_COLON = 5 * CLASSES; // after a key
const S_NEXT_MEMBER = 6 * CLASSES; // after a member's value: ',' or '}'
const S_NEXT_ELEMENT = 7 * CLASSES; // after an element: ',' or ']'
const S_DONE = 8 * CLASSES; // after the top-level value

// prettier-ignore
const ACTIONS = Uint8Array.from([
  //                    ws   {    }    [    ]    :    ,    "    num  t    f    n    other
  /* VALUE          */  BAD, OBJ, BADV, ARR, BAD, BADV, BADV, STR, NUM, TRU, FAL, NUL, BADV,
  /* VALUE_OR_CLOSE */  BAD, OBJ, BADV, ARR, CLO, BADV, BADV, STR, NUM, TRU, FAL, NUL, BADV,
  /* VALUE_AFTER_,  */  BAD, OBJ, BADV, ARR, TRC, BADV, BADV, STR, NUM, TRU, FAL, NUL, BADV,
  /* KEY_OR_CLOSE   */  BAD, BAD, CLO, BAD, BAD, BAD, BAD, KEY, BAD, BAD, BAD, BAD, BAD,
  /* KEY_AFTER_,    */  BAD, BAD, TRC, BAD, BAD, BAD, BAD, KEY, BAD, BAD, BAD, BAD, BAD,
  /* COLON          */  BAD, BAD, BAD, BAD, BAD, COL, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
  /* NEXT_MEMBER    */  BAD, BAD, CLO, BAD, BAD, BAD, COM, BAD, BAD, BAD, BAD, BAD, BAD,
  /* NEXT_ELEMENT   */  BAD, BAD, BAD, BAD, CLO, BAD, COM, BAD, BAD, BAD, BAD, BAD, BAD,
  /* DONE           */  BAD, TRD, TRD, TRD, TRD, TRD, TRD, TRD, TRD, TRD, TRD, TRD, TRD,
]);

const LITERAL_TRUE = [0x74, 0x72, 0x75, 0x65];
const LITERAL_FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const LITERAL_NULL = [0x6e, 0x75, 0x6c, 0x6c];

const NONE = 0x7fffffff;
/** In text mode: the first backslash, tab, line feed or carriage return at or after the last search. */
let special = -1;
/**
 * The next of each of those characters, searched again only once passed (NONE when absent): a pretty-printed
 * answer passes a line feed at every member, and searching all four from there each time was quadratic.
 */
let nextBackslash = -1;
let nextLf = -1;
let nextCr = -1;
let nextTab = -1;

function found(i: number): number {
  return i < 0 ? NONE : i;
}

function nextSpecial(text: string, from: number): number {
  if (nextBackslash < from) nextBackslash = found(indexOf.call(text, "\\", from));
  if (nextLf < from) nextLf = found(indexOf.call(text, "\n", from));
  if (nextCr < from) nextCr = found(indexOf.call(text, "\r", from));
  if (nextTab < from) nextTab = found(indexOf.call(text, "\t", from));
  return Math.min(nextBackslash, nextLf, nextCr, nextTab);
}

/*
 * stringEnd (inlined in tokenize for strings and keys): the closing quote of the string whose content
 * starts at `from`, times 2, plus 1 when it holds an escape. In text mode the string is plain when the
 * next quote comes before `special` (recomputed once passed); otherwise, or without text, scanString.
 */

/** The end of literal `word` (its bytes `literal`) at `pos`. */
function literalEnd(
  input: Uint8Array,
  text: string | undefined,
  pos: number,
  len: number,
  word: string,
  literal: readonly number[],
): number {
  if (text !== undefined && startsWith.call(text, word, pos)) return pos + literal.length;
  return scanLiteral(input, pos, len, literal);
}

/**
 * Tokenizes `input` from `start` to its end into `t` (capacity tokens); returns the token count. Throws
 * JsonError. `text`: the input as plain text (see above), or undefined.
 */
export function tokenize(input: Uint8Array, t: Int32Array, capacity: number, maxDepth: number, text?: string, start = 0): number {
  special = nextBackslash = nextLf = nextCr = nextTab = -1;
  const len = input.length;
  let pos = start;
  let count = 0;
  let parent = -1;
  let depth = 0;
  let state = S_VALUE;
  for (;;) {
    let cls: number;
    while ((cls = CLASS[input[pos]!]!) === C_WS) pos++; // past the end the table gives undefined
    if (pos >= len) {
      if (state === S_DONE) return count;
      fail("json.truncated", pos);
    }
    const action = ACTIONS[state + cls]!;
    if (action >= STR) {
      if (count >= capacity) tooMany(pos);
      const v = count++ * FIELDS;
      t[v + F_START] = action === STR ? pos + 1 : pos; // a string's content starts after its quote
      t[v + F_PARENT] = parent;
      // In S_VALUE the parent is a key or none; in the other value states it is an array.
      const inArray = state !== S_VALUE;
      if (inArray) t[parent * FIELDS + F_TYPE]! += SIZE_ONE;
      if (action === STR) {
        // stringEnd, inlined here and for keys (a call is ~20 computrons on XS, a tenth of a token)
        let r = text === undefined ? -1 : indexOf.call(text, '"', pos + 1);
        if (r >= 0 && (r < special || (special <= pos && r < (special = nextSpecial(text!, pos + 1))))) r *= 2;
        else r = scanString(input, pos + 1, len);
        t[v + F_TYPE] = T_STRING | ((r & 1) * ESCAPED);
        pos = (r >> 1) + 1;
        t[v + F_END] = r >> 1;
      } else if (action === NUM) {
        t[v + F_TYPE] = T_NUMBER;
        pos = scanNumber(input, pos, len);
        t[v + F_END] = pos;
      } else if (action === OBJ || action === ARR) {
        if (++depth > maxDepth) throw new JsonError("json.too_deep", pos, `nesting deeper than ${maxDepth}`);
        t[v + F_TYPE] = action === OBJ ? T_OBJECT : T_ARRAY;
        t[v + F_END] = -1;
        parent = v / FIELDS;
        pos++;
        state = action === OBJ ? S_KEY_OR_CLOSE : S_VALUE_OR_CLOSE;
        continue;
      } else if (action === TRU) {
        t[v + F_TYPE] = T_TRUE;
        pos = t[v + F_END] = literalEnd(input, text, pos, len, "true", LITERAL_TRUE);
      } else if (action === FAL) {
        t[v + F_TYPE] = T_FALSE;
        pos = t[v + F_END] = literalEnd(input, text, pos, len, "false", LITERAL_FALSE);
      } else if (action === NUL) {
        t[v + F_TYPE] = T_NULL;
        pos = t[v + F_END] = literalEnd(input, text, pos, len, "null", LITERAL_NULL);
      } else {
        fail("json.unexpected_byte", pos);
      }
      // A comma right after the value is taken here, saving a turn of the loop (the usual layout).
      if (inArray) {
        state = S_NEXT_ELEMENT;
        if (input[pos] === 0x2c) {
          pos++;
          state = S_VALUE_AFTER_COMMA;
        }
      } else if (parent < 0) state = S_DONE;
      else {
        parent = t[parent * FIELDS + F_PARENT]!; // from the key to its object
        state = S_NEXT_MEMBER;
        if (input[pos] === 0x2c) {
          pos++;
          state = S_KEY_AFTER_COMMA;
        }
      }
      continue;
    }
    if (action === KEY) {
      if (count >= capacity) tooMany(pos);
      const k = count++ * FIELDS;
      let r = text === undefined ? -1 : indexOf.call(text, '"', pos + 1);
      if (r >= 0 && (r < special || (special <= pos && r < (special = nextSpecial(text!, pos + 1))))) r *= 2;
      else r = scanString(input, pos + 1, len);
      const end = r >> 1;
      t[k + F_TYPE] = T_STRING | ((r & 1) * ESCAPED) | SIZE_ONE; // a key's size is 1
      t[k + F_START] = pos + 1;
      t[k + F_END] = end;
      t[k + F_PARENT] = parent;
      t[parent * FIELDS + F_TYPE]! += SIZE_ONE;
      parent = k / FIELDS;
      pos = end + 1;
      state = S_COLON;
      if (input[pos] === 0x3a) {
        pos++; // the colon right after the key, taken here as for commas
        state = S_VALUE;
      }
      continue;
    }
    if (action === COL) {
      pos++;
      state = S_VALUE;
      continue;
    }
    if (action === COM) {
      pos++;
      state = state === S_NEXT_MEMBER ? S_KEY_AFTER_COMMA : S_VALUE_AFTER_COMMA;
      continue;
    }
    if (action === CLO) {
      // Closing bracket of `parent` at `pos`.
      t[parent * FIELDS + F_END] = pos + 1;
      pos++;
      depth--;
      parent = t[parent * FIELDS + F_PARENT]!;
      if (parent < 0) state = S_DONE;
      else if ((t[parent * FIELDS + F_TYPE]! & TYPE_MASK) === T_STRING) {
        parent = t[parent * FIELDS + F_PARENT]!; // from the key to its object
        state = S_NEXT_MEMBER;
      } else state = S_NEXT_ELEMENT;
      continue;
    }
    fail(action === TRC ? "json.trailing_comma" : action === TRD ? "json.trailing_data" : "json.unexpected_byte", pos);
  }
}

function tooMany(pos: number): never {
  throw new JsonError("json.too_many_tokens", pos, "more tokens than the pool holds");
}
