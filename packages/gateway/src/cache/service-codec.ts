/**
 * Encoding of gateway → service requests and decoding of service replies and events
 * (RES-service protocol), with Resgate's validation rules: anything malformed is a
 * `system.internalError`, never a crash.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md
 */
import {
  ResError,
  internalError,
  isProperValue,
  isValidRid,
  parseErrorObject,
  parseValue,
  type Value,
} from "@resgate-ts/protocol";
import { canonicalHeaderKey } from "../util/http-header.js";

const decoder = new TextDecoder();

type Json = Record<string, unknown>;

/** Parses a payload; a parse failure is reported as Resgate's internal error. */
export function parseJson(data: Uint8Array | string): unknown {
  const text = typeof data === "string" ? data : decoder.decode(data);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw internalError(text.trim() === "" ? "unexpected end of JSON input" : "invalid JSON", err);
  }
}

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const errMissingResult = () => internalError("response missing result");
const errInvalidResponse = () => internalError("invalid service response");

/** Reads the top of a reply: the object itself, and its service error if it has one. */
function readReply(data: Uint8Array): { reply: Json; error: ResError | undefined } {
  return readReplyValue(parseJson(data));
}

function readReplyValue(v: unknown): { reply: Json; error: ResError | undefined } {
  if (v === null) return { reply: {}, error: undefined };
  if (!isObject(v)) throw internalError("reply is not a JSON object");
  const e = v["error"];
  if (e === undefined || e === null) return { reply: v, error: undefined };
  const error = parseErrorObject(e);
  if (!error) throw internalError("invalid error object");
  return { reply: v, error };
}

// ---- requests ------------------------------------------------------------------

export interface RequestFields {
  cid: string;
  /** The connection's token as JSON text; undefined is sent as null. */
  token: string | undefined;
  query: string;
  isHttp: boolean;
  /** Call parameters as JSON text; undefined leaves the field out. */
  params?: string | undefined;
}

/**
 * A RES-service request body, with Resgate's field order and omissions:
 * `{"params":…,"token":…,"query":…,"cid":…,"isHttp":true}`.
 */
export function encodeRequest(f: RequestFields): string {
  let s = "{";
  if (f.params !== undefined) s += `"params":${f.params},`;
  s += `"token":${f.token ?? "null"},`;
  if (f.query !== "") s += `"query":${JSON.stringify(f.query)},`;
  s += `"cid":${JSON.stringify(f.cid)}`;
  if (f.isHttp) s += `,"isHttp":true`;
  return s + "}";
}

/** A get request body: `{}` or `{"query":"…"}`. */
export function encodeGetRequest(query: string): string {
  return query === "" ? "{}" : `{"query":${JSON.stringify(query)}}`;
}

// ---- get -----------------------------------------------------------------------

export interface GetResult {
  model: Map<string, Value> | undefined;
  collection: Value[] | undefined;
  /** The normalized query, "" when the reply has none. */
  query: string;
}

/** Parses the `model` or `collection` of a get (or query) result. */
export function readResourceValues(result: Json): {
  model: Map<string, Value> | undefined;
  collection: Value[] | undefined;
} {
  const m = result["model"];
  const c = result["collection"];
  let model: Map<string, Value> | undefined;
  let collection: Value[] | undefined;
  if (m !== undefined && m !== null) {
    if (!isObject(m)) throw internalError("model is not a JSON object");
    model = new Map();
    for (const k of Object.keys(m)) {
      const r = parseValue(m[k]);
      if (!r.ok) throw r.error;
      if (!isProperValue(r.value)) throw errInvalidResponse();
      model.set(k, r.value);
    }
  }
  if (c !== undefined && c !== null) {
    if (!Array.isArray(c)) throw internalError("collection is not a JSON array");
    collection = [];
    for (const item of c as unknown[]) {
      const r = parseValue(item);
      if (!r.ok) throw r.error;
      if (!isProperValue(r.value)) throw errInvalidResponse();
      collection.push(r.value);
    }
  }
  if (model && collection) throw errInvalidResponse();
  return { model, collection };
}

export function decodeGetResponse(data: Uint8Array): GetResult {
  const { reply, error } = readReply(data);
  if (error) throw error;
  const result = reply["result"];
  if (result === undefined || result === null) throw errMissingResult();
  if (!isObject(result)) throw internalError("result is not a JSON object");
  const q = result["query"] ?? "";
  if (typeof q !== "string") throw internalError("query is not a string");
  const { model, collection } = readResourceValues(result);
  if (!model && !collection) throw errInvalidResponse();
  return { model, collection, query: q };
}

// ---- access --------------------------------------------------------------------

export interface AccessResult {
  get: boolean;
  /** "*" for every method, or a comma-separated list; "" for none. */
  call: string;
}

export function decodeAccessResponse(data: Uint8Array): AccessResult {
  const { reply, error } = readReply(data);
  if (error) throw error;
  const result = reply["result"];
  if (result === undefined || result === null) throw errMissingResult();
  if (!isObject(result)) throw internalError("result is not a JSON object");
  const get = result["get"] ?? false;
  const call = result["call"] ?? "";
  if (typeof get !== "boolean") throw internalError("get is not a boolean");
  if (typeof call !== "string") throw internalError("call is not a string");
  return { get, call };
}

// ---- call and auth -------------------------------------------------------------

/**
 * The meta object of a reply: an HTTP status and headers for the HTTP request or
 * WebSocket upgrade behind it. Header names are in Go's canonical form.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md#meta-object
 */
export interface Meta {
  status: number | undefined;
  header: Record<string, string[]> | undefined;
}

function readMeta(reply: Json): Meta | undefined {
  const m = reply["meta"];
  if (m === undefined || m === null) return undefined;
  if (!isObject(m)) throw internalError("meta is not a JSON object");
  const status = m["status"] ?? undefined;
  if (status !== undefined && (typeof status !== "number" || !Number.isInteger(status))) {
    throw internalError("meta status is not an integer");
  }
  const h = m["header"] ?? undefined;
  let header: Record<string, string[]> | undefined;
  if (h !== undefined) {
    if (!isObject(h)) throw internalError("meta header is not a JSON object");
    header = {};
    for (const [k, v] of Object.entries(h)) {
      if (v === null) continue;
      if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
        throw internalError("meta header values must be arrays of strings");
      }
      const key = canonicalHeaderKey(k);
      header[key] = [...(header[key] ?? []), ...v];
    }
  }
  return { status, header };
}

/** True for a meta status that answers the HTTP request directly (3xx, 4xx, 5xx). */
export function isDirectResponseStatus(meta: Meta | undefined): boolean {
  const s = meta?.status;
  return s !== undefined && s >= 300 && s < 600;
}

/** A call or auth reply: a result (JSON text) or a resource reference, with its meta. */
export type CallResult =
  | { resultJson: string; rid: undefined; meta: Meta | undefined }
  | { resultJson: undefined; rid: string; meta: Meta | undefined };

/** A service error, with the meta object it was sent with. */
export class ServiceError extends ResError {
  constructor(
    err: ResError,
    readonly meta: Meta | undefined,
  ) {
    super(err.code, err.message, err.data);
  }
}

/** Decodes a call or auth reply; a service error is thrown as a ServiceError. */
export function decodeCallResponse(data: Uint8Array): CallResult {
  const v = parseJson(data);
  const meta = isObject(v) ? readMeta(v) : undefined;
  const { reply, error } = readReplyValue(v);
  if (error) throw new ServiceError(error, meta);
  const resource = reply["resource"];
  if (resource !== undefined && resource !== null) {
    if (!isObject(resource)) throw internalError("resource is not a JSON object");
    const rid = resource["rid"] ?? "";
    if (typeof rid !== "string" || !isValidRid(rid, true)) throw errInvalidResponse();
    return { resultJson: undefined, rid, meta };
  }
  if (!("result" in reply)) throw errMissingResult();
  return { resultJson: JSON.stringify(reply["result"]), rid: undefined, meta };
}

/** The meta object a service error was sent with. */
export function metaOf(err: unknown): Meta | undefined {
  return err instanceof ServiceError ? err.meta : undefined;
}

// ---- events --------------------------------------------------------------------

/**
 * Whether a change event uses the v1.0 format (the values at the top level) rather
 * than `{"values":{…}}`.
 */
export function isLegacyChangeEvent(payload: unknown): boolean {
  if (!isObject(payload)) return false;
  const keys = Object.keys(payload);
  if (keys.length !== 1 || keys[0] !== "values") return true;
  return !isObject(payload["values"]);
}

/** The changed values of a change event; a delete action marks a removed key. */
export function decodeChangeEvent(payload: unknown): Map<string, Value> {
  const source = isLegacyChangeEvent(payload) ? payload : (payload as Json)["values"];
  if (!isObject(source)) throw internalError("change event values is not an object");
  const values = new Map<string, Value>();
  for (const k of Object.keys(source)) {
    const r = parseValue(source[k]);
    if (!r.ok) throw r.error;
    values.set(k, r.value);
  }
  return values;
}

function readIdx(payload: unknown): number {
  if (!isObject(payload)) throw internalError("event payload is not an object");
  const idx = payload["idx"] ?? 0;
  if (typeof idx !== "number" || !Number.isInteger(idx))
    throw internalError("idx is not an integer");
  return idx;
}

export function decodeAddEvent(payload: unknown): { idx: number; value: Value } {
  const idx = readIdx(payload);
  // A missing value is not a value (Resgate drops the event); null is.
  if (!("value" in (payload as Json))) throw internalError("invalid value");
  const r = parseValue((payload as Json)["value"]);
  if (!r.ok) throw r.error;
  if (!isProperValue(r.value)) throw internalError("invalid value");
  return { idx, value: r.value };
}

export function decodeRemoveEvent(payload: unknown): { idx: number } {
  return { idx: readIdx(payload) };
}

/** A `conn.<cid>.token` event: the new token as JSON text (undefined when absent) and tid. */
export function decodeTokenEvent(data: Uint8Array): { token: string | undefined; tid: string } {
  const v = parseJson(data);
  if (!isObject(v)) throw internalError("token event is not an object");
  const tid = v["tid"] ?? "";
  if (typeof tid !== "string") throw internalError("tid is not a string");
  return { token: "token" in v ? JSON.stringify(v["token"]) : undefined, tid };
}

/** `system.reset`: resource and access patterns. */
export function decodeSystemReset(data: Uint8Array): { resources: string[]; access: string[] } {
  if (data.length === 0) return { resources: [], access: [] };
  const v = parseJson(data);
  if (!isObject(v)) throw internalError("system reset is not an object");
  return { resources: stringList(v["resources"]), access: stringList(v["access"]) };
}

/** `system.tokenReset`: token IDs and the subject to send auth requests to. */
export function decodeSystemTokenReset(data: Uint8Array): { tids: string[]; subject: string } {
  if (data.length === 0) return { tids: [], subject: "" };
  const v = parseJson(data);
  if (!isObject(v)) throw internalError("system token reset is not an object");
  const subject = v["subject"] ?? "";
  if (typeof subject !== "string") throw internalError("subject is not a string");
  return { tids: stringList(v["tids"]), subject };
}

function stringList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
    throw internalError("expected an array of strings");
  }
  return v;
}
