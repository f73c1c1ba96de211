/** The argument walk every subcommand shares: DTLS flags are taken first, the rest go to the caller. */
import { takeDtlsFlag, type DtlsFlags } from "./dtls-flags.js";
import { UsageError } from "./exit-codes.js";

/** Calls `onArg` for each argument that is not a DTLS flag; `value()` consumes the next argument. */
export function scanArgs(argv: readonly string[], dtls: DtlsFlags | undefined, onArg: (arg: string, value: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const taken = dtls === undefined ? 0 : takeDtlsFlag(argv, i, dtls);
    if (taken > 0) {
      i += taken - 1;
      continue;
    }
    const arg = argv[i]!;
    onArg(arg, () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    });
  }
}

/** A whole number in [min, max], or a usage error naming the flag. */
export function intArg(flag: string, text: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${flag} needs an integer ${min}..${max}`);
  return Number(text);
}
