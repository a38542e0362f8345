/**
 * RES values as a service writes them: primitives, resource references and data
 * values, plus the delete action used in change events.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-protocol.md#values
 */
import { ValueType, isValidRid, parseValue } from "@resgate-ts/protocol";

/** A JSON primitive. */
export type Primitive = string | number | boolean | null;

/** A resource reference: `{ rid }`, or a soft reference `{ rid, soft: true }`. */
export interface Ref {
  readonly rid: string;
  readonly soft?: boolean;
}

/** A data value wrapping any JSON value: `{ data: ... }`. */
export interface DataValue {
  readonly data: unknown;
}

/** A value of a model property or collection item. */
export type Value = Primitive | Ref | DataValue;

/** The delete action of a change event: `{ action: "delete" }`. */
export interface DeleteAction {
  readonly action: "delete";
}

/** The delete action, used in change events to delete a model property. */
export const Delete: DeleteAction = Object.freeze({ action: "delete" });

/** A model: an object whose every property is a {@link Value}. */
export type ModelOf<T> = { readonly [K in keyof T]: Value };

/** The values of a change event; undefined properties are left out. */
export type ChangeOf<T> = { readonly [K in keyof T]: Value | DeleteAction | undefined };

/** A model as plain data. */
export type Model = Readonly<Record<string, Value>>;

/** A collection as plain data. */
export type Collection = readonly Value[];

/** Change event values as plain data. */
export type ChangeValues = Readonly<Record<string, Value | DeleteAction>>;

/** A reference to the resource `rid`. */
export function ref(rid: string): Ref {
  return { rid };
}

/** A soft reference to the resource `rid` (not followed by the gateway). */
export function softRef(rid: string): Ref {
  return { rid, soft: true };
}

/** Wraps any JSON value (objects, arrays) as a data value. */
export function data(value: unknown): DataValue {
  return { data: value };
}

/**
 * Checks that `v` is a valid RES value (or a delete action when `allowDelete`), and
 * throws a descriptive Error when it is not.
 */
export function assertValue(v: unknown, where: string, allowDelete = false): void {
  switch (typeof v) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(v)) throw new Error(`res: ${where}: number ${v} is not valid JSON`);
      return;
    case "object": {
      if (v === null) return;
      const r = parseValue(v);
      if (!r.ok) throw new Error(`res: ${where}: ${r.error.message}`);
      if (!allowDelete && r.value.type === ValueType.delete)
        throw new Error(`res: ${where}: delete action not allowed here`);
      return;
    }
    default:
      throw new Error(`res: ${where}: ${typeof v} is not a valid value`);
  }
}

/** Checks a model object, returning it without undefined properties. */
export function checkModel(model: unknown, where: string): Record<string, unknown> {
  if (model === null || typeof model !== "object" || Array.isArray(model))
    throw new Error(`res: ${where}: a model must be an object`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(model)) {
    if (v === undefined) continue;
    assertValue(v, `${where}: property "${k}"`);
    out[k] = v;
  }
  return out;
}

/** Checks a collection array. */
export function checkCollection(collection: unknown, where: string): readonly unknown[] {
  if (!Array.isArray(collection)) throw new Error(`res: ${where}: a collection must be an array`);
  collection.forEach((v: unknown, i) => assertValue(v, `${where}: item ${i}`));
  return collection;
}

/** Checks change values, returning them without undefined properties. */
export function checkChange(values: unknown, where: string): Record<string, unknown> {
  if (values === null || typeof values !== "object" || Array.isArray(values))
    throw new Error(`res: ${where}: change values must be an object`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    assertValue(v, `${where}: property "${k}"`, true);
    out[k] = v;
  }
  return out;
}

/** Throws unless `rid` is a valid resource ID (a query part is allowed when `allowQuery`). */
export function assertRid(rid: string, where: string, allowQuery = true): void {
  if (!isValidRid(rid, allowQuery)) throw new Error(`res: ${where}: invalid resource ID "${rid}"`);
}
