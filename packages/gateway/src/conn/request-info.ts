/**
 * How auth requests describe the HTTP request behind a connection: Go's canonical
 * header names (`Sec-Websocket-Key`), the Host, the remote address as `ip:port` and
 * the request URI, as Resgate sends them.
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { canonicalHeaderKey } from "../util/http-header.js";

declare const packedRequest: unique symbol;

/**
 * The HTTP request that opened a connection, as auth requests describe it: packed into
 * one string (see requestInfo), read with authFields. A string rather than an object
 * holding one: every connection keeps it for as long as it lives.
 */
export type RequestInfo = string & { readonly [packedRequest]: true };

/**
 * Header names, and values of the headers in SHARED_VALUE_HEADERS, are kept once for
 * every connection: a connection's packed request refers to them by number. Browsers
 * send the same User-Agent, Accept-Language, Origin… on every connection, and a
 * number costs a few characters where the text costs dozens or hundreds.
 */
const SHARED_VALUE_HEADERS = new Set([
  "host",
  "connection",
  "upgrade",
  "origin",
  "user-agent",
  "accept",
  "accept-encoding",
  "accept-language",
  "cache-control",
  "pragma",
  "sec-websocket-version",
  "sec-websocket-extensions",
  "sec-websocket-protocol",
  "sec-fetch-dest",
  "sec-fetch-mode",
  "sec-fetch-site",
  "x-forwarded-proto",
  "x-forwarded-host",
]);
/** Bounds on the shared strings (a client sending endless variants fills it, no more). */
const SHARED_LIMIT = 4096;
const SHARED_MAX_LENGTH = 512;
const sharedIds = new Map<string, number>();
const shared: string[] = [];

/** The number of a shared string, added when there is room; undefined when not shared. */
function sharedId(s: string): number | undefined {
  let id = sharedIds.get(s);
  if (id === undefined && shared.length < SHARED_LIMIT && s.length <= SHARED_MAX_LENGTH) {
    id = shared.length;
    shared.push(s);
    sharedIds.set(s, id);
  }
  return id;
}

/** A packed member: a shared string's number, or the string as JSON. */
function member(s: string, share: boolean): string {
  const id = share ? sharedId(s) : undefined;
  return id === undefined ? JSON.stringify(s) : String(id);
}

/**
 * The members an auth request adds for the request, each preceded by a comma (or ""):
 * `"header"` (names in Go's canonical form, `Sec-Websocket-Key`, each with its
 * values), `"host"`, `"remoteAddr"` and `"uri"`, each left out when empty. Built when
 * an auth request needs them (most connections never send one).
 */
export function authFields(info: RequestInfo): string {
  const members = JSON.parse("[" + info + "]") as (string | number)[];
  const [remoteAddr = "", uri = "", ...raw] = members.map((m) =>
    typeof m === "number" ? (shared[m] ?? "") : m,
  );
  const header: Record<string, string[]> = {};
  let headers = 0;
  // The first Host header, as Node's req.headers.host has it (later ones are dropped).
  let host: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = canonicalHeaderKey(raw[i] ?? "");
    // Go keeps the Host header out of the header map.
    if (k === "Host") {
      host ??= raw[i + 1];
      continue;
    }
    (header[k] ??= []).push(raw[i + 1] ?? "");
    headers++;
  }
  let fields = "";
  if (headers > 0) fields += `,"header":${JSON.stringify(header)}`;
  if (host) fields += `,"host":${JSON.stringify(host)}`;
  if (remoteAddr !== "") fields += `,"remoteAddr":${JSON.stringify(remoteAddr)}`;
  if (uri !== "") fields += `,"uri":${JSON.stringify(uri)}`;
  return fields;
}

/**
 * Packs the request's details into one string: the members of a JSON array (remote
 * address, URI, then the raw header names and values as Node read them), each a string
 * or the number of a shared one. One flat string costs a fraction of the request
 * object, or of an array of strings.
 */
export function requestInfo(req: IncomingMessage): RequestInfo {
  const addr = req.socket.remoteAddress ?? "";
  const port = req.socket.remotePort ?? 0;
  forgetPeerAddress(req.socket);
  const remoteAddr = addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
  const uri = req.url ?? "";
  // A query may carry anything (a token): only a plain path is shared.
  const members = [member(remoteAddr, false), member(uri, !uri.includes("?"))];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? "";
    members.push(member(name, true));
    members.push(member(raw[i + 1] ?? "", SHARED_VALUE_HEADERS.has(name.toLowerCase())));
  }
  // Joined rather than JSON.stringify'd as a whole: V8 builds that result as a tree of
  // string pieces (a cons string), while join makes one flat string.
  return members.join(",") as RequestInfo;
}

/**
 * Node keeps the peer address it looked up on the socket (`_peername`, an object and
 * its strings) for the socket's lifetime; the packed form above is all a connection
 * needs. Let go of it, when it is the plain property Node has always used.
 */
function forgetPeerAddress(socket: Socket): void {
  const d = Object.getOwnPropertyDescriptor(socket, "_peername");
  if (d?.writable) (socket as unknown as { _peername: unknown })._peername = undefined;
}

/** The first value of a header (`name` in lower case) among Node's raw header lines. */
export function firstHeader(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const k = rawHeaders[i] ?? "";
    if (k.length === name.length && k.toLowerCase() === name) return rawHeaders[i + 1];
  }
  return undefined;
}
