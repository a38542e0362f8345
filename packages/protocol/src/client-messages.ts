/**
 * Encoders for messages sent from gateway to client (RES-client protocol). Every
 * encoder returns the JSON text of the whole frame, so that callers can encode once
 * and send the same text to many connections.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-client-protocol.md
 */
import type { ErrorObject } from "./errors.js";
import { compact, isNull, isValidJson, member, readObject, readString } from "./json-raw.js";

/** A request as decoded from a client frame. */
export interface ClientRequest {
  /** The id exactly as the client wrote it (an unsigned 64-bit integer literal). */
  id: string;
  method: string;
  /** The params' JSON text, compacted; undefined when absent. */
  params: string | undefined;
}

const MAX_UINT64 = 18446744073709551615n;

/**
 * Decodes a client frame as Resgate does. Returns undefined when the frame gets no
 * reply at all: not a JSON object (or nested beyond Go's limit), a non-string
 * method, or an `id` that is missing or not an unsigned 64-bit integer literal.
 */
export function decodeClientRequest(text: string): ClientRequest | undefined {
  if (!isValidJson(text)) return undefined;
  const o = readObject(text);
  if (!o) return undefined;
  const id = member(o, "id");
  if (id === undefined || !/^(0|[1-9][0-9]*)$/.test(id) || BigInt(id) > MAX_UINT64) {
    return undefined;
  }
  const methodRaw = member(o, "method");
  let method = "";
  if (!isNull(methodRaw)) {
    const m = readString(methodRaw);
    if (m === undefined) return undefined;
    method = m;
  }
  const params = member(o, "params");
  return { id, method, params: params === undefined ? undefined : compact(params) };
}

/** `{"result":…,"id":n}`, or `{"id":n}` when there is no result. */
export function encodeResult(id: string | number, resultJson: string | undefined): string {
  return resultJson === undefined ? `{"id":${id}}` : `{"result":${resultJson},"id":${id}}`;
}

/** `{"error":{…},"id":n}`. */
export function encodeError(id: string | number, err: ErrorObject): string {
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
