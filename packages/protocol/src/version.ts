/** Protocol versions as integers: MAJOR * 1_000_000 + MINOR * 1_000 + PATCH. */

/** The RES protocol version this implementation speaks. */
export const PROTOCOL_VERSION = "1.2.3";

export const ProtocolVersion = {
  latest: 1_002_003,
  /** Assumed for clients that never send a `version` request. */
  legacy: 1_001_001,
  /** From this version on, call/auth resource responses subscribe the client. */
  callResourceResponse: 1_002_000,
  /** From this version on, soft references and data values are sent as is. */
  softReferenceAndDataValue: 1_002_001,
} as const;

/**
 * Parses "MAJOR.MINOR.PATCH" into its integer form; undefined when malformed
 * (not three parts, not digits, or a part of 1000 or more).
 */
export function parseProtocolVersion(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 3) return undefined;
  let v = 0;
  for (const p of parts) {
    // Mirrors Go's strconv.Atoi: optional sign, then decimal digits only.
    if (!/^[+-]?\d+$/.test(p)) return undefined;
    // Outside a 64-bit integer, Go's Atoi fails: invalid, not just unsupported.
    const big = BigInt(p);
    if (big > 9223372036854775807n || big < -9223372036854775808n) return undefined;
    const n = Number(p);
    if (n >= 1000) return undefined;
    v = v * 1000 + n;
  }
  return v;
}
