/**
 * The request target of an HTTP request, read as Go's net/http reads it, so that the
 * API maps the same URLs to the same resource IDs as Resgate: the decoded path, the
 * raw path when its escaping is not Go's own, and the raw query.
 *
 * Node gives `req.url` as the raw request target (ASCII only: its parser refuses
 * other bytes). Decoded paths are kept as byte strings (one char per byte).
 */

/** A request target; undefined from parse when Go would refuse it (400 Bad Request). */
export interface RequestTarget {
  /** The target as sent, "*" for `OPTIONS *`. */
  readonly uri: string;
  /** Go's URL.Path: percent-escapes decoded. */
  readonly path: string;
  /** Go's URL.RawPath: the path as sent when it differs from Go's escaping of `path`; else "". */
  readonly rawPath: string;
  /** Go's URL.RawQuery: everything after the first "?", undecoded. */
  readonly rawQuery: string;
}

const HEX = "0123456789ABCDEF";

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Go's url.PathUnescape: every `%XX` decoded (as a byte), `+` kept. Undefined when
 * a `%` is not followed by two hex digits.
 */
export function pathUnescape(s: string): string | undefined {
  if (!s.includes("%")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 37 /* % */) {
      out += s[i];
      continue;
    }
    const hi = hexValue(s.charCodeAt(i + 1));
    const lo = hexValue(s.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return undefined;
    out += String.fromCharCode(hi * 16 + lo);
    i += 2;
  }
  return out;
}

/** Go's shouldEscape(c, encodePath) for one byte. */
function escapedInPath(c: number): boolean {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) return false;
  switch (c) {
    case 45: // -
    case 95: // _
    case 46: // .
    case 126: // ~
    case 36: // $
    case 38: // &
    case 43: // +
    case 44: // ,
    case 47: // /
    case 58: // :
    case 59: // ;
    case 61: // =
    case 64: // @
      return false;
    default:
      return true;
  }
}

/** Go's escape(s, encodePath) over a byte string. */
function escapePath(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += escapedInPath(c) ? "%" + (HEX[c >> 4] ?? "") + (HEX[c & 15] ?? "") : s[i];
  }
  return out;
}

/**
 * Parses a request target as Go's url.ParseRequestURI does for the forms browsers
 * send (origin form, `*`, and absolute form). Undefined for an invalid escape.
 */
export function parseRequestTarget(uri: string): RequestTarget | undefined {
  if (uri === "*") return { uri, path: "*", rawPath: "", rawQuery: "" };
  let rest = uri;
  if (!rest.startsWith("/")) {
    // Absolute form (`http://host/path`): the path starts after the authority.
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(rest);
    if (!m) return undefined;
    rest = rest.slice(m[0].length);
  }
  const q = rest.indexOf("?");
  const raw = q < 0 ? rest : rest.slice(0, q);
  const rawQuery = q < 0 ? "" : rest.slice(q + 1);
  const path = pathUnescape(raw);
  if (path === undefined) return undefined;
  return { uri, path, rawPath: escapePath(path) === raw ? "" : raw, rawQuery };
}
