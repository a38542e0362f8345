/**
 * HTTP header helpers shared by auth requests and meta responses, following Go's
 * net/http conventions so that services see what Resgate would send them.
 */

/** Go's textproto.CanonicalMIMEHeaderKey: "set-cookie" becomes "Set-Cookie". */
export function canonicalHeaderKey(k: string): string {
  let out = "";
  let upper = true;
  for (const ch of k) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === "-";
  }
  return out;
}

/** Headers a service's meta object may not set (Resgate's codec.MergeHeader). */
const PROTECTED = new Set([
  "Sec-Websocket-Extensions",
  "Sec-Websocket-Protocol",
  "Access-Control-Allow-Credentials",
  "Access-Control-Allow-Origin",
  "Content-Type",
]);

/**
 * Adds or replaces headers in `into` with those in `from`, skipping protected ones;
 * Set-Cookie values are appended rather than replaced.
 */
export function mergeHeader(
  into: Record<string, string[]>,
  from: Record<string, string[]> | undefined,
): void {
  if (!from) return;
  for (const [k, v] of Object.entries(from)) {
    if (PROTECTED.has(k)) continue;
    into[k] = k === "Set-Cookie" ? [...(into[k] ?? []), ...v] : v;
  }
}
