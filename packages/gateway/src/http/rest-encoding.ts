/**
 * The HTTP API's URL mapping and response encodings (Resgate's apiEncoding.go):
 * `/api/a/b` ⇄ `a.b`, and the `json` and `jsonflat` encodings of a resource with
 * every resource it references, nested.
 */
import {
  ResError,
  ValueType,
  encodeErrorObject,
  member,
  readObject,
  compact,
  parseRawValue,
  type Value,
} from "@resgate-ts/protocol";
import type { Collection, Model } from "../cache/resource-data.js";
import { MAX_HTTP_RESPONSE_BYTES } from "../constants.js";
import { pathUnescape } from "./request-target.js";

/** A loaded resource and the resources it references, as the encoders read them. */
export interface EncodableResource {
  readonly rid: string;
  readonly model: Model | undefined;
  readonly collection: Collection | undefined;
  /** The error loading ended with, if any. */
  error(): ResError | undefined;
  /** The subscription of a resource this one references. */
  ref(rid: string): EncodableResource | undefined;
}

/** Encodes API responses; one per gateway. */
export interface ApiEncoder {
  readonly contentType: string;
  /** A resource, with everything it references. */
  encodeGet(r: EncodableResource): string;
  /** A call result; undefined when it is null (204 No Content). */
  encodePost(resultJson: string): string | undefined;
  encodeError(err: ResError): string;
  /**
   * The data of an event on `rid` (for server-sent events): the RES event's data with
   * every value encoded as in a GET response, references found with `lookup`, and
   * the resource set members of the WebSocket event left out.
   */
  encodeEvent(
    e: { rid: string; event: string; dataJson: string },
    lookup: (rid: string) => EncodableResource | undefined,
  ): string;
  /** The body of 404 answers to URLs that name no resource. */
  readonly notFound: string;
}

const CONTENT_TYPE = "application/json; charset=utf-8";
const NOT_FOUND = encodeErrorObject({ code: "system.notFound", message: "Not found" });

/** The encoders by --apiencoding name (matched ignoring case, as Resgate does). */
export function apiEncoder(name: string, apiPath: string): ApiEncoder {
  const flat = name.toLowerCase() === "jsonflat";
  return {
    contentType: CONTENT_TYPE,
    notFound: NOT_FOUND,
    encodeGet: (r) => {
      const w = new Writer(apiPath);
      if (flat) w.flat(r);
      else w.nested(r, false);
      return w.text();
    },
    encodePost: (json) => (json === "null" ? undefined : json),
    encodeError: (err) => encodeErrorObject(err),
    encodeEvent: (e, lookup) => {
      const w = new Writer(apiPath);
      w.event(e, lookup, flat);
      return w.text();
    },
  };
}

/** Members of a WebSocket event's data that carry resources the client had not got yet. */
const RESOURCE_SET_MEMBERS = new Set(["models", "collections", "errors"]);

/** An encoding in progress: output chunks and the resources on the current path. */
class Writer {
  private readonly out: string[] = [];
  private size = 0;
  private readonly path: string[] = [];

  constructor(private readonly apiPath: string) {}

  private write(s: string): void {
    this.size += s.length;
    // A service can make a DAG of references expand without bound: refuse instead.
    if (this.size > MAX_HTTP_RESPONSE_BYTES) {
      throw new ResError("system.internalError", "Internal error: response too large");
    }
    this.out.push(s);
  }

  text(): string {
    return this.out.join("");
  }

  private href(rid: string): string {
    return `{"href":${JSON.stringify(ridToPath(rid, this.apiPath))}}`;
  }

  /** json: references become `{"href":…,"model"|"collection"|"error":…}`. */
  nested(r: EncodableResource, wrap: boolean): void {
    if (wrap) this.write(`{"href":${JSON.stringify(ridToPath(r.rid, this.apiPath))}`);
    this.nestedBody(r, wrap);
    if (wrap) this.write("}");
  }

  private nestedBody(r: EncodableResource, wrap: boolean): void {
    // A resource already being encoded above is only linked.
    if (this.path.includes(r.rid)) return;
    const err = r.error();
    if (err) {
      this.write((wrap ? `,"error":` : "") + encodeErrorObject(err));
      return;
    }
    this.path.push(r.rid);
    if (r.collection) {
      this.write(wrap ? `,"collection":[` : "[");
      this.values(r, r.collection.values, false);
      this.write("]");
    } else if (r.model) {
      this.write(wrap ? `,"model":{` : "{");
      this.members(r, r.model.values, false);
      this.write("}");
    }
    this.path.pop();
  }

  /** jsonflat: references become the referenced value itself; a cycle becomes `{"href":…}`. */
  flat(r: EncodableResource): void {
    if (this.path.includes(r.rid)) {
      this.write(this.href(r.rid));
      return;
    }
    const err = r.error();
    if (err) {
      this.write(encodeErrorObject(err));
      return;
    }
    this.path.push(r.rid);
    if (r.collection) {
      this.write("[");
      this.values(r, r.collection.values, true);
      this.write("]");
    } else if (r.model) {
      this.write("{");
      this.members(r, r.model.values, true);
      this.write("}");
    }
    this.path.pop();
  }

  /** An event's data; see ApiEncoder.encodeEvent. */
  event(
    e: { rid: string; event: string; dataJson: string },
    lookup: (rid: string) => EncodableResource | undefined,
    flat: boolean,
  ): void {
    const o = e.event === "change" || e.event === "add" ? readObject(e.dataJson) : undefined;
    if (!o) {
      this.write(e.dataJson);
      return;
    }
    // Values refer to resources from the event's resource: it is on the path.
    const owner: EncodableResource = {
      rid: e.rid,
      model: undefined,
      collection: undefined,
      error: () => undefined,
      ref: lookup,
    };
    this.path.push(e.rid);
    this.write("{");
    let first = true;
    for (const [k, raw] of o) {
      if (RESOURCE_SET_MEMBERS.has(k)) continue;
      this.write((first ? "" : ",") + JSON.stringify(k) + ":");
      first = false;
      const values = k === "values" ? readObject(raw) : undefined;
      if (values) {
        this.write("{");
        let f = true;
        for (const [name, v] of values) {
          this.write((f ? "" : ",") + JSON.stringify(name) + ":");
          f = false;
          this.rawValue(owner, v, flat);
        }
        this.write("}");
      } else if (k === "value") {
        this.rawValue(owner, raw, flat);
      } else {
        this.write(compact(raw));
      }
    }
    this.write("}");
    this.path.pop();
  }

  private rawValue(owner: EncodableResource, raw: string, flat: boolean): void {
    const r = parseRawValue(raw);
    if (!r.ok || r.value.type === ValueType.delete) this.write(compact(raw));
    else this.value(owner, r.value, flat);
  }

  private values(r: EncodableResource, values: readonly Value[], flat: boolean): void {
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.write(",");
      this.value(r, values[i] as Value, flat);
    }
  }

  private members(r: EncodableResource, values: ReadonlyMap<string, Value>, flat: boolean): void {
    let first = true;
    for (const [k, v] of values) {
      this.write((first ? "" : ",") + JSON.stringify(k) + ":");
      first = false;
      this.value(r, v, flat);
    }
  }

  private value(r: EncodableResource, v: Value, flat: boolean): void {
    switch (v.type) {
      case ValueType.reference: {
        const ref = r.ref(v.rid);
        if (!ref) this.write(this.href(v.rid));
        else if (flat) this.flat(ref);
        else this.nested(ref, true);
        return;
      }
      case ValueType.softReference:
        this.write(this.href(v.rid));
        return;
      case ValueType.data:
        this.write(dataInner(v));
        return;
      default:
        this.write(v.json);
    }
  }
}

const inner = new WeakMap<Value, string>();

/** The JSON inside a data value (`{"data":…}`). */
function dataInner(v: Value): string {
  let s = inner.get(v);
  if (s === undefined) {
    const o = readObject(v.json);
    s = compact((o && member(o, "data")) ?? "null");
    inner.set(v, s);
  }
  return s;
}

// ---- URLs ------------------------------------------------------------------------

/**
 * The resource ID a path names, with the query appended (Resgate's PathToRID):
 * segments are URL-decoded and joined with dots; "" when the path names none.
 * `prefix` is the API path, starting and ending with "/".
 */
export function pathToRid(path: string, query: string, prefix: string): string {
  const parts = pathParts(path, prefix);
  if (!parts) return "";
  const rid = parts.join(".");
  return query === "" ? rid : rid + "?" + query;
}

/** The resource ID and method a call path names (Resgate's PathToRIDAction). */
export function pathToRidAction(
  path: string,
  query: string,
  prefix: string,
): { rid: string; action: string } {
  const parts = pathParts(path, prefix);
  if (!parts || parts.length < 2) return { rid: "", action: "" };
  const action = parts.pop() as string;
  const rid = parts.join(".");
  return { rid: query === "" ? rid : rid + "?" + query, action };
}

function pathParts(path: string, prefix: string): string[] | undefined {
  if (path.length === prefix.length || !path.startsWith(prefix)) return undefined;
  let rest = path.slice(prefix.length);
  // A dot in the path itself would be ambiguous; an escaped one (%2E) is a rid dot.
  if (rest.includes(".")) return undefined;
  if (rest.startsWith("/")) rest = rest.slice(1);
  const parts: string[] = [];
  for (const p of rest.split("/")) {
    const part = pathUnescape(p);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return parts;
}

/** Go's url.PathEscape, then dots to slashes: the API path of a resource ID. */
export function ridToPath(rid: string, apiPath: string): string {
  if (rid === "") return "";
  let out = "";
  for (const byte of Buffer.from(rid, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~$&+:=@]/.test(c)
      ? c
      : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return apiPath + out.replaceAll(".", "/");
}
