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

/** Go's url.PathEscape, then dots to slashes: the API path of a resource ID. */
export function ridToPath(rid: string, apiPath: string): string {
  if (rid === "") return "";
  let out = "";
  for (const byte of Buffer.from(rid, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~$&+,:;=@]/.test(c)
      ? c
      : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return apiPath + out.replaceAll(".", "/");
}
