/**
 * HTTP helpers for the API tests: requests with Node's fetch (bounded in time), raw
 * requests over TCP for targets fetch would normalize, and Go-style header views.
 */
import { request } from "node:http";
import { connect } from "node:net";

export interface HttpResult {
  status: number;
  headers: Headers;
  body: string;
}

export interface HttpOptions {
  headers?: Record<string, string>;
  body?: string;
  /** Milliseconds before the request is abandoned (default 4000). */
  timeoutMs?: number;
}

/** Sends a request with fetch and reads the whole response. */
export async function http(
  baseUrl: string,
  method: string,
  path: string,
  opts: HttpOptions = {},
): Promise<HttpResult> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: opts.headers ?? {},
    body: opts.body,
    redirect: "manual",
    signal: AbortSignal.timeout(opts.timeoutMs ?? 4000),
  });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body };
}

/**
 * Sends a request with node:http, for the statuses fetch will not hand back (407,
 * which it treats as a network error); the headers come as a fetch Headers object.
 */
export function httpNode(
  baseUrl: string,
  method: string,
  path: string,
  opts: HttpOptions = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      baseUrl + path,
      { method, headers: opts.headers ?? {}, timeout: opts.timeoutMs ?? 4000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => {
          const headers = new Headers();
          const raw = res.rawHeaders;
          for (let i = 0; i + 1 < raw.length; i += 2) {
            headers.append(raw[i] ?? "", raw[i + 1] ?? "");
          }
          resolve({ status: res.statusCode ?? 0, headers, body });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Sends raw request bytes and resolves with everything the server sends back until it closes. */
export function rawHttp(port: number, request: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => s.write(request));
    let out = "";
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms: ${JSON.stringify(out)}`));
    }, timeoutMs);
    s.on("data", (d: Buffer) => (out += d.toString("latin1")));
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}

/** The headers of a response as a plain object, Set-Cookie values kept apart. */
export function headerObject(h: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  h.forEach((v, k) => {
    out[k] = v;
  });
  const cookies = h.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}

/** A JSON error body as Resgate encodes it. */
export function errorBody(code: string, message: string): string {
  return JSON.stringify({ code, message });
}
