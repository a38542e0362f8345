/**
 * Model and collection values held by the cache. Both are immutable once built:
 * an event creates a new one, so a value already handed to a connection never
 * changes under it. Their JSON is built once, on first use.
 */
import { legacyValueJson, needsLegacyEncoding, type Value } from "@resgate-ts/protocol";

/** Approximate bytes held by a resource's values (their JSON text). */
function valuesSize(values: Iterable<Value>, keys = 0): number {
  let n = keys;
  for (const v of values) n += v.json.length + 16;
  return n;
}

export class Model {
  private json: string | undefined;
  private legacyJson: string | undefined;
  /** Approximate bytes held, for the cache's memory budget. */
  readonly size: number;

  constructor(readonly values: ReadonlyMap<string, Value>) {
    let keys = 0;
    for (const k of values.keys()) keys += k.length;
    this.size = valuesSize(values.values(), keys);
  }

  toJSON(): string {
    return (this.json ??= encodeValueMap(this.values, false));
  }

  /** The encoding for clients older than protocol 1.2.1. */
  toLegacyJSON(): string {
    if (this.legacyJson === undefined) {
      let legacy = false;
      for (const v of this.values.values()) if (needsLegacyEncoding(v)) legacy = true;
      this.legacyJson = legacy ? encodeValueMap(this.values, true) : this.toJSON();
    }
    return this.legacyJson;
  }
}

export class Collection {
  private json: string | undefined;
  private legacyJson: string | undefined;
  /** Approximate bytes held, for the cache's memory budget. */
  readonly size: number;

  constructor(readonly values: readonly Value[]) {
    this.size = valuesSize(values);
  }

  toJSON(): string {
    return (this.json ??= "[" + this.values.map((v) => v.json).join(",") + "]");
  }

  toLegacyJSON(): string {
    if (this.legacyJson === undefined) {
      this.legacyJson = this.values.some(needsLegacyEncoding)
        ? "[" + this.values.map(legacyValueJson).join(",") + "]"
        : this.toJSON();
    }
    return this.legacyJson;
  }
}

/** Encodes a map of values as a JSON object, in the map's order. */
export function encodeValueMap(values: ReadonlyMap<string, Value>, legacy: boolean): string {
  let s = "{";
  let first = true;
  for (const [k, v] of values) {
    if (!first) s += ",";
    first = false;
    s += JSON.stringify(k) + ":" + (legacy ? legacyValueJson(v) : v.json);
  }
  return s + "}";
}
