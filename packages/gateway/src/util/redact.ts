/**
 * Trace logs show every NATS message, but never a token or a credential: the
 * `token` member of a payload, and the Authorization and Cookie headers of an auth
 * request, are replaced before a payload is logged.
 */
import { readObject } from "@resgate-ts/protocol";

const REDACTED = '"[redacted]"';
const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie"]);

function rebuild(
  members: Map<string, string>,
  replace: (k: string, raw: string) => string,
): string {
  let out = "{";
  let first = true;
  for (const [k, raw] of members) {
    out += (first ? "" : ",") + JSON.stringify(k) + ":" + replace(k, raw);
    first = false;
  }
  return out + "}";
}

/** A JSON payload with its token and credential headers redacted (other text as is). */
export function redactPayload(text: string): string {
  if (!/token|header/i.test(text)) return text;
  const o = readObject(text);
  if (!o) return text;
  return rebuild(o, (k, raw) => {
    const key = k.toLowerCase();
    if (key === "token") return raw === "null" ? raw : REDACTED;
    if (key !== "header") return raw;
    const h = readObject(raw);
    if (!h) return raw;
    return rebuild(h, (name, v) => (SECRET_HEADERS.has(name.toLowerCase()) ? `[${REDACTED}]` : v));
  });
}
