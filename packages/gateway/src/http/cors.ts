/**
 * Cross-origin rules of the HTTP API and WebSocket upgrades (--alloworigin), as
 * Resgate applies them (server/config.go, apiHandler.go setCommonHeaders).
 */
import { Errors, type ResError } from "@resgate-ts/protocol";
import type { HeaderMap } from "./response.js";

/**
 * Reads the allowOrigin setting: "*", or origins separated by ";" written as
 * `<scheme>://<hostname>[:<port>]`. They are lowercased and sorted, as Resgate does
 * (the first one is what a refused origin is told). Throws an Error naming the
 * problem when the setting is invalid.
 */
export function parseAllowOrigin(setting: string): string[] {
  const origins = setting.split(";").map(toLowerAscii);
  for (const o of origins) {
    if (o === "*") {
      if (origins.length > 1)
        throw new Error(`'${o}' must not be used together with other origin settings`);
      continue;
    }
    if (o === "") throw new Error("origin must not be empty");
    const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@]+)(\?)?$/.exec(o);
    if (!m || !/^(\[[0-9a-f:.]+\]|[^:[\]]+)(:\d*)?$/.test(m[1] ?? "")) {
      throw new Error(`'${o}' doesn't match <scheme>://<hostname>[:<port>]`);
    }
  }
  return origins.sort();
}

function toLowerAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (c) => c.toLowerCase());
}

/** Whether `origin` is one of `origins`, ignoring the case of A–Z (Resgate's matchesOrigins). */
export function matchesOrigins(origins: readonly string[], origin: string): boolean {
  const o = toLowerAscii(origin);
  return origins.includes(o);
}

/** The CORS policy of one gateway. */
export class Cors {
  private readonly any: boolean;

  constructor(
    private readonly origins: readonly string[],
    /** Header authentication is on: browsers must send credentials. */
    private readonly credentials: boolean,
    /** Access-Control-Allow-Methods for preflight requests. */
    readonly allowMethods: string,
  ) {
    this.any = origins[0] === "*";
  }

  /**
   * Whether a request with this Origin header may proceed. A missing Origin, or
   * "null", is not from a CORS-enabled browser and is always allowed.
   */
  allows(origin: string | undefined): boolean {
    if (this.any || origin === undefined || origin === "null") return true;
    return matchesOrigins(this.origins, origin);
  }

  /**
   * Sets the Access-Control-* headers of an API response; returns the error to answer
   * with when the origin is not allowed (the headers are set even then).
   */
  apply(header: HeaderMap, origin: string | undefined): ResError | undefined {
    if (this.credentials) header["Access-Control-Allow-Credentials"] = ["true"];
    if (this.any) {
      header["Access-Control-Allow-Origin"] = ["*"];
      return undefined;
    }
    if (origin === undefined || origin === "null") return undefined;
    header["Vary"] = ["Origin"];
    if (matchesOrigins(this.origins, origin)) {
      header["Access-Control-Allow-Origin"] = [origin];
      return undefined;
    }
    header["Access-Control-Allow-Origin"] = [this.origins[0] ?? ""];
    return Errors.forbiddenOrigin();
  }

  /** The extra headers of a preflight (OPTIONS) response. */
  preflight(header: HeaderMap, requestHeaders: readonly string[] | undefined): void {
    header["Access-Control-Allow-Methods"] = [this.allowMethods];
    if (requestHeaders && requestHeaders.length > 0) {
      header["Access-Control-Allow-Headers"] = [requestHeaders.join(", ")];
    }
  }
}

/** "GET, HEAD, OPTIONS, POST" and each mapped method, in Resgate's order. */
export function allowMethods(m: {
  putMethod: string | null;
  deleteMethod: string | null;
  patchMethod: string | null;
}): string {
  let s = "GET, HEAD, OPTIONS, POST";
  if (m.putMethod !== null) s += ", PUT";
  if (m.deleteMethod !== null) s += ", DELETE";
  if (m.patchMethod !== null) s += ", PATCH";
  return s;
}
