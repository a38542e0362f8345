/**
 * Building HTTP responses the way Go's net/http writes them for Resgate: a header
 * map with canonical names, and direct answers for meta statuses
 * (apiHandler.go httpStatusResponse).
 */
import { STATUS_CODES, type ServerResponse } from "node:http";
import type { ResError } from "@resgate-ts/protocol";
import { mergeHeader } from "../util/http-header.js";
import { statusError } from "./status.js";

/** Response headers by canonical name, each with its values. */
export type HeaderMap = Record<string, string[]>;

/** A complete response, ready to write. */
export interface HttpAnswer {
  status: number;
  header: HeaderMap;
  /** The body, or undefined for none. */
  body: string | undefined;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/g;

/**
 * The header lines that may be written: names that are not HTTP tokens are dropped,
 * and control characters in values become spaces, as Go writes them. A service's
 * meta header can never split a response.
 */
export function safeHeaderLines(header: HeaderMap): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const [k, values] of Object.entries(header)) {
    if (!TOKEN.test(k)) continue;
    out.push([k, values.map((v) => v.replace(INVALID_VALUE_CHAR, " "))]);
  }
  return out;
}

/** Writes an answer on a ServerResponse (a HEAD response keeps its length, not its body). */
export function writeAnswer(res: ServerResponse, a: HttpAnswer): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = a.status;
  for (const [k, values] of safeHeaderLines(a.header)) {
    res.setHeader(k, values.length === 1 ? (values[0] as string) : values);
  }
  if (a.body === undefined) {
    res.end();
    return;
  }
  const body = Buffer.from(a.body, "utf8");
  res.setHeader("Content-Length", body.length);
  res.end(body);
}

/** Writes an answer on a raw socket (an upgrade request that is refused). */
export function rawAnswer(a: HttpAnswer): string {
  let head = `HTTP/1.1 ${a.status} ${STATUS_CODES[a.status] ?? ""}\r\n`;
  for (const [k, values] of safeHeaderLines(a.header)) {
    for (const v of values) head += `${k}: ${v}\r\n`;
  }
  const body = a.body ?? "";
  head += `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  return head + body;
}

/**
 * The answer to a meta status of 3xx–5xx (Resgate's httpStatusResponse): a redirect
 * to the meta's Location or else `href`, or the error (or the status's own error)
 * as body. `header` holds the headers already set (CORS).
 */
export function statusAnswer(
  header: HeaderMap,
  r: {
    status: number;
    metaHeader: HeaderMap | undefined;
    href: string;
    err: ResError | undefined;
  },
  encode: { contentType: string; error(err: ResError): string },
): HttpAnswer {
  if (r.status < 400) {
    if (r.href !== "" && !r.metaHeader?.["Location"]) header["Location"] = [r.href];
    mergeHeader(header, r.metaHeader);
    return { status: r.status, header, body: undefined };
  }
  mergeHeader(header, r.metaHeader);
  header["Content-Type"] = [encode.contentType];
  return { status: r.status, header, body: encode.error(r.err ?? statusError(r.status)) };
}
