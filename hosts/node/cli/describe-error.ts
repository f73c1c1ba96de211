/** One line for an error with its code and the chain of causes; errors never carry tokens or secrets. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && depth < 4; depth++) {
    const code = (e as { code?: unknown } | null)?.code;
    const message = e instanceof Error ? e.message : String(e);
    parts.push(`${typeof code === "string" ? `${code}: ` : ""}${message}`);
    e = (e as { cause?: unknown } | null)?.cause;
  }
  return parts.join(" <- ");
}
