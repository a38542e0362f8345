/**
 * RES values: primitives, resource references (hard and soft), data values, and the
 * delete action used in change events.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-protocol.md#values
 */
import { internalError, type ResError } from "./errors.js";
import { compact, firstChar, isNull, member, readObject, readString } from "./json-raw.js";
import { isValidRid } from "./rid.js";

export const ValueType = {
  delete: 1,
  primitive: 2,
  reference: 3,
  softReference: 4,
  data: 5,
} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/**
 * A parsed RES value. `json` is the value's JSON text as sent to clients of the
 * current protocol version; it is computed once and reused for every encoding.
 */
export interface Value {
  readonly type: ValueType;
  readonly json: string;
  /** The referenced resource ID, for references and soft references. */
  readonly rid: string;
}

export const DELETE_VALUE: Value = Object.freeze({
  type: ValueType.delete,
  json: '{"action":"delete"}',
  rid: "",
});

/** Result of parsing: a value, or the error Resgate reports for it. */
export type ValueResult = { ok: true; value: Value } | { ok: false; error: ResError };

function fail(reason: string): ValueResult {
  return { ok: false, error: internalError("invalid value: " + reason) };
}

function primitive(json: string): ValueResult {
  return { ok: true, value: { type: ValueType.primitive, json, rid: "" } };
}

/**
 * Parses a value that has already been decoded from JSON. Mirrors Resgate's codec:
 * objects must be a reference (`rid`), an action (`action: "delete"`) or a data value
 * (`data`); arrays and other objects are errors.
 */
export function parseValue(v: unknown): ValueResult {
  if (v === null || typeof v !== "object") return primitive(JSON.stringify(v));
  if (Array.isArray(v)) return fail("nested json array must be wrapped as a data value");
  const o = v as Record<string, unknown>;
  const rid = o["rid"];
  const action = o["action"];
  const data = o["data"];
  if (rid !== undefined && rid !== null) {
    if (typeof rid !== "string") return fail("resource reference rid must be a string");
    if (rid === "") return fail('resource references requires a non-empty "rid" value');
    if ((action !== undefined && action !== null) || data !== undefined)
      return fail("ambiguous value type");
    if (!isValidRid(rid, true)) return fail(`resource reference rid "${rid}" is invalid`);
    const soft = o["soft"];
    if (soft !== undefined && soft !== null && typeof soft !== "boolean")
      return fail("soft flag must be a boolean");
    return {
      ok: true,
      value: {
        type: soft === true ? ValueType.softReference : ValueType.reference,
        json: JSON.stringify(o),
        rid,
      },
    };
  }
  if (action !== undefined && action !== null) {
    if (data !== undefined) return fail("ambiguous value type");
    if (action !== "delete") return fail(`unknown action ${JSON.stringify(action)}`);
    return { ok: true, value: DELETE_VALUE };
  }
  if (data !== undefined) {
    // A data value wrapping a primitive is just that primitive.
    if (data === null || typeof data !== "object") return primitive(JSON.stringify(data));
    return { ok: true, value: { type: ValueType.data, json: JSON.stringify(o), rid: "" } };
  }
  return fail("nested json object must be wrapped as a data value");
}

/**
 * Parses a value from its raw JSON text (part of an already validated document),
 * as Resgate's codec does: the value keeps the exact text the service sent
 * (compacted), so numbers and strings pass through byte for byte.
 */
export function parseRawValue(raw: string): ValueResult {
  const c = firstChar(raw);
  if (c === "[") return fail("nested json array must be wrapped as a data value");
  if (c !== "{") return primitive(compact(raw));
  const o = readObject(raw) ?? new Map<string, string>();
  const ridRaw = member(o, "rid");
  const actionRaw = member(o, "action");
  const dataRaw = member(o, "data");
  if (!isNull(ridRaw)) {
    const rid = readString(ridRaw);
    if (rid === undefined) return fail("resource reference rid must be a string");
    if (rid === "") return fail('resource references requires a non-empty "rid" value');
    if (!isNull(actionRaw) || dataRaw !== undefined) return fail("ambiguous value type");
    if (!isValidRid(rid, true)) return fail(`resource reference rid "${rid}" is invalid`);
    const softRaw = member(o, "soft");
    if (softRaw !== undefined && softRaw !== "null" && softRaw !== "true" && softRaw !== "false") {
      return fail("soft flag must be a boolean");
    }
    const type = softRaw === "true" ? ValueType.softReference : ValueType.reference;
    return { ok: true, value: { type, json: compact(raw), rid } };
  }
  if (!isNull(actionRaw)) {
    if (dataRaw !== undefined) return fail("ambiguous value type");
    const action = readString(actionRaw);
    if (action === undefined) return fail("action must be a string");
    if (action !== "delete") return fail(`unknown action ${JSON.stringify(action)}`);
    return { ok: true, value: DELETE_VALUE };
  }
  if (dataRaw !== undefined) {
    // A data value wrapping a primitive is just that primitive.
    const d = firstChar(dataRaw);
    if (d !== "{" && d !== "[") return primitive(compact(dataRaw));
    return { ok: true, value: { type: ValueType.data, json: compact(raw), rid: "" } };
  }
  return fail("nested json object must be wrapped as a data value");
}

/** True when the value may be stored in a resource (not a delete action). */
export function isProperValue(v: Value): boolean {
  return v.type >= ValueType.primitive;
}

/** Reports whether two values are equal in type and content. */
export function valueEquals(a: Value, b: Value): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case ValueType.reference:
    case ValueType.softReference:
      return a.rid === b.rid;
    case ValueType.primitive:
    case ValueType.data:
      return a.json === b.json;
    case ValueType.delete:
      return true;
  }
}

const LEGACY_DATA_PLACEHOLDER = '"[Data]"';

/**
 * The value as clients older than protocol 1.2.1 see it: a soft reference becomes its
 * rid string and a data value the placeholder "[Data]".
 */
export function legacyValueJson(v: Value): string {
  if (v.type === ValueType.softReference) return JSON.stringify(v.rid);
  if (v.type === ValueType.data) return LEGACY_DATA_PLACEHOLDER;
  return v.json;
}

/** True when legacy clients need a different encoding of this value. */
export function needsLegacyEncoding(v: Value): boolean {
  return v.type === ValueType.softReference || v.type === ValueType.data;
}
