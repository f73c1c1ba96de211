/**
 * Character access that allocates nothing on XS. A property access on a primitive string
 * (`s.charCodeAt(i)`, even `s.length`) makes XS box the string in a temporary String object; calling the
 * built-in through `.call` does not. Past the end it returns NaN, which the loops use instead of
 * `s.length`. Hot paths (cache hit: digest, scope match) use this; elsewhere plain methods are fine.
 */
export const charCodeAt: (this: string, index: number) => number = String.prototype.charCodeAt;
/** `lastIndexOf.call(s, "")` is the length of `s` in one call, without boxing it. */
export const lastIndexOf: (this: string, search: string) => number = String.prototype.lastIndexOf;
export const indexOf: (this: string, search: string, from?: number) => number = String.prototype.indexOf;
export const slice: (this: string, start: number, end: number) => string = String.prototype.slice;
export const startsWith: (this: string, search: string, position: number) => boolean = String.prototype.startsWith;
