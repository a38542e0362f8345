/**
 * Model and collection values held by the cache. Both are immutable once built:
 * an event creates a new one, so a value already handed to a connection never
 * changes under it. Their JSON is built once, on first use.
 */
import { legacyValueJson, needsLegacyEncoding, type Value } from "@resgate-ts/protocol";

/**
 * Heap bytes a value costs beyond its JSON text: the value object, its string header
 * and its entry in a map or array (measured with heap snapshots: about 100 bytes for
 * a small value). Without it, a resource of 20 000 small values would count as a
 * tenth of what it holds.
 */
const VALUE_OVERHEAD_BYTES = 96;

/**
 * Approximate heap bytes held by a resource's values: each value's JSON text twice
 * (the value, and the resource's encoding built from it) plus its overhead.
 */
function valuesSize(values: Iterable<Value>, keys = 0): number {
  let n = keys;
  for (const v of values) n += 2 * v.json.length + VALUE_OVERHEAD_BYTES;
  return n;
}

export class Model {
  private json: string | undefined;
  private legacyJson: string | undefined;
  /** Approximate bytes held, for the cache's memory budget. */
  readonly size: number;

  constructor(readonly values: ReadonlyMap<string, Value>) {
    let keys = 0;
    for (const k of values.keys()) keys += 2 * k.length + 24;
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

/**
 * Encodes a map of values as a JSON object, in the map's order. Built with join (a
 * flat string): appending piece by piece would keep a tree of thousands of string
 * pieces alive for as long as the encoding is cached.
 */
export function encodeValueMap(values: ReadonlyMap<string, Value>, legacy: boolean): string {
  const members: string[] = [];
  for (const [k, v] of values) {
    members.push(JSON.stringify(k) + ":" + (legacy ? legacyValueJson(v) : v.json));
  }
  return "{" + members.join(",") + "}";
}
