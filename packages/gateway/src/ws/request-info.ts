/**
 * How auth requests describe the HTTP request behind a connection: Go's canonical
 * header names (`Sec-Websocket-Key`), the Host, the remote address as `ip:port` and
 * the request URI, as Resgate sends them.
 */
import type { IncomingMessage } from "node:http";
import type { RequestInfo } from "../conn/connection.js";
import { canonicalHeaderKey } from "../util/http-header.js";

export function requestInfo(req: IncomingMessage): RequestInfo {
  const header: Record<string, string[]> = {};
  const distinct = req.headersDistinct;
  for (const [k, values] of Object.entries(distinct)) {
    // Go keeps the Host header out of the header map.
    if (k === "host" || values === undefined) continue;
    header[canonicalHeaderKey(k)] = values;
  }
  const addr = req.socket.remoteAddress ?? "";
  const port = req.socket.remotePort ?? 0;
  const remoteAddr = addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
  return { header, host: req.headers.host ?? "", remoteAddr, uri: req.url ?? "" };
}
