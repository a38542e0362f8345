/**
 * How auth requests describe the HTTP request behind a connection: Go's canonical
 * header names (`Sec-Websocket-Key`), the Host, the remote address as `ip:port` and
 * the request URI, as Resgate sends them.
 */
import type { IncomingMessage } from "node:http";
import type { RequestInfo } from "../conn/connection.js";
import { canonicalHeaderKey } from "../util/http-header.js";

/**
 * The request's details, kept as Node parsed them; the Go-style header map is only
 * built when an auth request needs it (most connections never send one).
 */
class UpgradeRequestInfo implements RequestInfo {
  private headerMap: Record<string, string[]> | undefined;

  constructor(
    private readonly rawHeaders: readonly string[],
    readonly host: string,
    readonly remoteAddr: string,
    readonly uri: string,
  ) {}

  get header(): Record<string, string[]> {
    if (!this.headerMap) {
      const header: Record<string, string[]> = {};
      for (let i = 0; i + 1 < this.rawHeaders.length; i += 2) {
        const k = canonicalHeaderKey(this.rawHeaders[i] ?? "");
        // Go keeps the Host header out of the header map.
        if (k === "Host") continue;
        (header[k] ??= []).push(this.rawHeaders[i + 1] ?? "");
      }
      this.headerMap = header;
    }
    return this.headerMap;
  }
}

export function requestInfo(req: IncomingMessage): RequestInfo {
  const addr = req.socket.remoteAddress ?? "";
  const port = req.socket.remotePort ?? 0;
  const remoteAddr = addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
  return new UpgradeRequestInfo(req.rawHeaders, req.headers.host ?? "", remoteAddr, req.url ?? "");
}
