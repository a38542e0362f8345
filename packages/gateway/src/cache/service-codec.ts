/**
 * Encoding of gateway → service requests and decoding of service replies and events
 * (RES-service protocol), with Resgate's validation rules: anything malformed is a
 * `system.internalError`, never a crash. Replies are read as raw JSON: values keep
 * the exact text services sent (see @resgate-ts/protocol json-raw).
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md
 */
import {
  ResError,
  compact,
  internalError,
  isNull,
  isProperValue,
  isValidJson,
  isValidRid,
  member,
  parseRawErrorObject,
  parseRawValue,
  readArray,
  readInt,
  readObject,
  readString,
  type Value,
} from "@resgate-ts/protocol";
import { canonicalHeaderKey, mergeHeader } from "../util/http-header.js";

const decoder = new TextDecoder();

type Members = Map<string, string>;

/**
 * Validates a payload as one JSON value; the text is returned for raw reading. A
 * failure is reported as Resgate's internal error.
 */
export function jsonText(data: Uint8Array | string): string {
  const text = typeof data === "string" ? data : decoder.decode(data);
  if (!isValidJson(text)) {
    throw internalError(text.trim() === "" ? "unexpected end of JSON input" : "invalid JSON");
  }
  return text;
}

const errMissingResult = () => internalError("response missing result");
const errInvalidResponse = () => internalError("invalid service response");

function objectOf(raw: string, what: string): Members {
  const o = readObject(raw);
  if (!o) throw internalError(`${what} is not a JSON object`);
  return o;
}

/** Reads the top of a reply: its members, and its service error if it has one. */
function readReply(text: string): { reply: Members; error: ResError | undefined } {
  if (text.trim() === "null") return { reply: new Map(), error: undefined };
  const reply = objectOf(text, "reply");
  const e = member(reply, "error");
  if (isNull(e)) return { reply, error: undefined };
  const error = parseRawErrorObject(e);
  if (!error) throw internalError("invalid error object");
  return { reply, error };
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

function value(raw: string): Value {
  const r = parseRawValue(raw);
  if (!r.ok) throw r.error;
  if (!isProperValue(r.value)) throw errInvalidResponse();
  return r.value;
}

/** Parses the `model` or `collection` of a get (or query) result. */
export function readResourceValues(result: Members): {
  model: Map<string, Value> | undefined;
  collection: Value[] | undefined;
} {
  const m = member(result, "model");
  const c = member(result, "collection");
  let model: Map<string, Value> | undefined;
  let collection: Value[] | undefined;
  if (!isNull(m)) {
    model = new Map();
    for (const [k, raw] of objectOf(m, "model")) model.set(k, value(raw));
  }
  if (!isNull(c)) {
    const items = readArray(c);
    if (!items) throw internalError("collection is not a JSON array");
    collection = items.map(value);
  }
  if (model && collection) throw errInvalidResponse();
  return { model, collection };
}

function readResult(reply: Members): Members {
  const r = member(reply, "result");
  if (isNull(r)) throw errMissingResult();
  return objectOf(r, "result");
}

export function decodeGetResponse(data: Uint8Array): GetResult {
  const { reply, error } = readReply(jsonText(data));
  if (error) throw error;
  const result = readResult(reply);
  const q = member(result, "query");
  const query = isNull(q) ? "" : readString(q);
  if (query === undefined) throw internalError("query is not a string");
  const { model, collection } = readResourceValues(result);
  if (!model && !collection) throw errInvalidResponse();
  return { model, collection, query };
}

// ---- access --------------------------------------------------------------------

export interface AccessResult {
  get: boolean;
  /** "*" for every method, or a comma-separated list; "" for none. */
  call: string;
}

/**
 * Decodes an access reply with its meta object (used by HTTP requests). A service
 * error, or a reply without a result, is thrown as a ServiceError carrying the meta.
 */
export function decodeAccessResponse(data: Uint8Array): {
  access: AccessResult;
  meta: Meta | undefined;
} {
  const { reply, error } = readReply(jsonText(data));
  // The meta object is decoded (and must be well formed) even where it is not used.
  const meta = readMeta(reply);
  const r = member(reply, "result");
  // Type errors in the result fail the whole decoding (Go's json.Unmarshal), meta included.
  let access: AccessResult | undefined;
  if (!isNull(r)) {
    const result = objectOf(r, "result");
    const g = member(result, "get");
    const c = member(result, "call");
    if (!isNull(g) && g !== "true" && g !== "false") throw internalError("get is not a boolean");
    const call = isNull(c) ? "" : readString(c);
    if (call === undefined) throw internalError("call is not a string");
    access = { get: g === "true", call };
  }
  if (error) throw new ServiceError(error, meta);
  if (!access) throw new ServiceError(errMissingResult(), meta);
  return { access, meta };
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

function readMeta(reply: Members): Meta | undefined {
  const m = member(reply, "meta");
  if (isNull(m)) return undefined;
  const o = objectOf(m, "meta");
  const s = member(o, "status");
  let status: number | undefined;
  if (!isNull(s)) {
    status = readInt(s);
    if (status === undefined) throw internalError("meta status is not an integer");
  }
  const h = member(o, "header");
  let header: Record<string, string[]> | undefined;
  if (!isNull(h)) {
    header = {};
    for (const [k, raw] of objectOf(h, "meta header")) {
      if (raw === "null") continue;
      const values = readArray(raw)?.map(readString);
      if (!values || values.some((v) => v === undefined)) {
        throw internalError("meta header values must be arrays of strings");
      }
      const key = canonicalHeaderKey(k);
      header[key] = [...(header[key] ?? []), ...(values as string[])];
    }
  }
  return { status, header };
}

/**
 * Merges a later reply's meta into an earlier one (Resgate's Meta.Merge): the later
 * status wins; headers are added or replaced, Set-Cookie values appended.
 */
export function mergeMeta(a: Meta | undefined, b: Meta | undefined): Meta | undefined {
  if (!a) return b;
  if (!b) return a;
  let header = a.header;
  if (!header) header = b.header;
  else if (b.header) {
    header = { ...header };
    mergeHeader(header, b.header);
  }
  return { status: b.status ?? a.status, header };
}

/** False for a meta status an HTTP response cannot take (outside 3xx–5xx). */
export function isValidMetaStatus(meta: Meta | undefined): boolean {
  const s = meta?.status;
  return s === undefined || (s >= 300 && s < 600);
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

/**
 * Decodes a call or auth reply. A service error, an invalid resource reference or a
 * missing result is thrown as a ServiceError carrying the reply's meta object.
 */
export function decodeCallResponse(data: Uint8Array): CallResult {
  const { reply, error } = readReply(jsonText(data));
  const meta = readMeta(reply);
  const resource = member(reply, "resource");
  let rid: string | undefined;
  if (!isNull(resource)) {
    // A resource that is not {"rid":"…"} fails the whole decoding, meta included.
    const r = member(objectOf(resource, "resource"), "rid");
    rid = isNull(r) ? "" : readString(r);
    if (rid === undefined) throw errInvalidResponse();
  }
  if (error) throw new ServiceError(error, meta);
  if (rid !== undefined) {
    if (!isValidRid(rid, true)) throw new ServiceError(errInvalidResponse(), meta);
    return { resultJson: undefined, rid, meta };
  }
  const result = member(reply, "result");
  if (result === undefined) throw new ServiceError(errMissingResult(), meta);
  return { resultJson: compact(result), rid: undefined, meta };
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
export function isLegacyChangeEvent(raw: string): boolean {
  const o = readObject(raw);
  if (!o) return false;
  if (o.size !== 1) return true;
  const v = o.get("values");
  return v === undefined || v.charAt(0) !== "{";
}

/** The changed values of a change event; a delete action marks a removed key. */
export function decodeChangeEvent(raw: string): Map<string, Value> {
  const legacy = isLegacyChangeEvent(raw);
  const o = readObject(raw);
  if (!o) throw internalError("change event is not an object");
  const source = legacy ? o : readObject(member(o, "values") ?? "null");
  const values = new Map<string, Value>();
  for (const [k, v] of source ?? []) {
    const r = parseRawValue(v);
    if (!r.ok) throw r.error;
    values.set(k, r.value);
  }
  return values;
}

function readIdx(raw: string): number {
  const o = objectOf(raw, "event payload");
  const i = member(o, "idx");
  if (isNull(i)) return 0;
  const idx = readInt(i);
  if (idx === undefined) throw internalError("idx is not an integer");
  return idx;
}

export function decodeAddEvent(raw: string): { idx: number; value: Value } {
  const idx = readIdx(raw);
  // A missing value is not a value (Resgate drops the event); null is.
  const v = member(objectOf(raw, "event payload"), "value");
  if (v === undefined) throw internalError("invalid value");
  const r = parseRawValue(v);
  if (!r.ok) throw r.error;
  if (!isProperValue(r.value)) throw internalError("invalid value");
  return { idx, value: r.value };
}

export function decodeRemoveEvent(raw: string): { idx: number } {
  return { idx: readIdx(raw) };
}

/** A `conn.<cid>.token` event: the new token as JSON text (undefined when absent) and tid. */
export function decodeTokenEvent(data: Uint8Array): { token: string | undefined; tid: string } {
  const o = objectOf(jsonText(data), "token event");
  const t = member(o, "tid");
  const tid = isNull(t) ? "" : readString(t);
  if (tid === undefined) throw internalError("tid is not a string");
  const token = member(o, "token");
  return { token: token === undefined ? undefined : compact(token), tid };
}

/** `system.reset`: resource and access patterns. */
export function decodeSystemReset(data: Uint8Array): { resources: string[]; access: string[] } {
  if (data.length === 0) return { resources: [], access: [] };
  const o = objectOf(jsonText(data), "system reset");
  return { resources: stringList(member(o, "resources")), access: stringList(member(o, "access")) };
}

/** `system.tokenReset`: token IDs and the subject to send auth requests to. */
export function decodeSystemTokenReset(data: Uint8Array): { tids: string[]; subject: string } {
  if (data.length === 0) return { tids: [], subject: "" };
  const o = objectOf(jsonText(data), "system token reset");
  const s = member(o, "subject");
  const subject = isNull(s) ? "" : readString(s);
  if (subject === undefined) throw internalError("subject is not a string");
  return { tids: stringList(member(o, "tids")), subject };
}

function stringList(raw: string | undefined): string[] {
  if (isNull(raw)) return [];
  const items = readArray(raw)?.map(readString);
  if (!items || items.some((s) => s === undefined)) {
    throw internalError("expected an array of strings");
  }
  return items as string[];
}
