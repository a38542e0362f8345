/**
 * Encoders for messages sent from gateway to client (RES-client protocol). Every
 * encoder returns the JSON text of the whole frame, so that callers can encode once
 * and send the same text to many connections.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-client-protocol.md
 */
import type { ErrorObject } from "./errors.js";

/** A request as decoded from a client frame. */
export interface ClientRequest {
  id: number;
  method: string;
  params: unknown;
}

/**
 * Decodes a client frame. Returns undefined when the frame gets no reply at all:
 * not a JSON object, or an `id` that is missing or not a non-negative integer
 * (Resgate silently drops such frames).
 */
export function decodeClientRequest(text: string): ClientRequest | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (msg === null || typeof msg !== "object" || Array.isArray(msg)) return undefined;
  const o = msg as Record<string, unknown>;
  const id = member(o, "id");
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) return undefined;
  const method = member(o, "method") ?? "";
  if (typeof method !== "string") return undefined;
  return { id, method, params: member(o, "params") };
}

/**
 * A member of a decoded object, matched as Go's decoder matches struct fields: the
 * exact name first, otherwise any name that is equal ignoring case.
 */
function member(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  for (const k of Object.keys(o)) if (k.toLowerCase() === name) return o[k];
  return undefined;
}

/** `{"result":…,"id":n}`, or `{"id":n}` when there is no result. */
export function encodeResult(id: number, resultJson: string | undefined): string {
  return resultJson === undefined ? `{"id":${id}}` : `{"result":${resultJson},"id":${id}}`;
}

/** `{"error":{…},"id":n}`. */
export function encodeError(id: number, err: ErrorObject): string {
  return `{"error":${encodeErrorObject(err)},"id":${id}}`;
}

/** The error object with `data` left out when undefined, as Resgate encodes it. */
export function encodeErrorObject(err: ErrorObject): string {
  const o: ErrorObject = { code: err.code, message: err.message };
  if (err.data !== undefined && err.data !== null) o.data = err.data;
  return JSON.stringify(o);
}

/** `{"event":"<rid>.<event>","data":…}`; data is left out when undefined. */
export function encodeEvent(rid: string, event: string, dataJson: string | undefined): string {
  const name = JSON.stringify(rid + "." + event);
  return dataJson === undefined ? `{"event":${name}}` : `{"event":${name},"data":${dataJson}}`;
}
