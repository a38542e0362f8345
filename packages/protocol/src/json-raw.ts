/**
 * Reading JSON the way Go's encoding/json reads it into raw messages: a member's
 * value is kept as its exact text (compacted), so numbers like `1.0` or
 * `12345678901234567890` reach clients byte for byte as services sent them, and
 * values are compared by their text. Nesting deeper than Go's limit (10 000) is an
 * error, as it is for Resgate. Every function here is iterative: depth never costs
 * stack.
 */

/** Go's encoding/json nesting limit. */
export const MAX_JSON_DEPTH = 10_000;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Checks that `text` is one valid JSON value nested at most MAX_JSON_DEPTH deep.
 * JSON.parse (native, and not limited by the stack) checks the syntax.
 */
export function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
  } catch {
    return false;
  }
  return maxDepth(text) <= MAX_JSON_DEPTH;
}

/** The deepest nesting of objects and arrays in a valid JSON text. */
export function maxDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = endOfString(text, i) - 1;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** The index just past the string that starts (with its quote) at `i`. */
function endOfString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return text.length;
}

/** The index just past the value that starts at `i` (no leading space), in valid JSON. */
function endOfValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return endOfString(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === 0x22) j = endOfString(text, j) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        if (--depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  // A number or a literal: up to the next delimiter.
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || isSpace(d)) break;
    j++;
  }
  return j;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The first character of a valid JSON text, past any white space. */
export function firstChar(raw: string): string {
  return raw.charAt(skipSpace(raw, 0));
}

/**
 * The members of a JSON object text (already validated) as raw value texts, in order;
 * a repeated name keeps its last value, as Go's decoder does. Undefined when the text
 * is not an object.
 */
export function readObject(raw: string): Map<string, string> | undefined {
  let i = skipSpace(raw, 0);
  if (raw.charCodeAt(i) !== 0x7b) return undefined;
  const members = new Map<string, string>();
  i = skipSpace(raw, i + 1);
  if (raw.charCodeAt(i) === 0x7d) return members;
  while (i < raw.length) {
    const keyEnd = endOfString(raw, i);
    const key = JSON.parse(raw.slice(i, keyEnd)) as string;
    i = skipSpace(raw, keyEnd) + 1; // past ':'
    i = skipSpace(raw, i);
    const end = endOfValue(raw, i);
    members.delete(key);
    members.set(key, raw.slice(i, end));
    i = skipSpace(raw, end);
    if (raw.charCodeAt(i) === 0x7d) break;
    i = skipSpace(raw, i + 1); // past ','
  }
  return members;
}

/** The elements of a JSON array text (already validated) as raw texts; undefined if not an array. */
export function readArray(raw: string): string[] | undefined {
  let i = skipSpace(raw, 0);
  if (raw.charCodeAt(i) !== 0x5b) return undefined;
  const items: string[] = [];
  i = skipSpace(raw, i + 1);
  if (raw.charCodeAt(i) === 0x5d) return items;
  while (i < raw.length) {
    const end = endOfValue(raw, i);
    items.push(raw.slice(i, end));
    i = skipSpace(raw, end);
    if (raw.charCodeAt(i) === 0x5d) break;
    i = skipSpace(raw, i + 1);
  }
  return items;
}

/**
 * A member as Go matches struct fields: the exact name, otherwise the first name
 * equal ignoring case.
 */
export function member(members: ReadonlyMap<string, string>, name: string): string | undefined {
  const exact = members.get(name);
  if (exact !== undefined) return exact;
  for (const [k, v] of members) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** True when a raw value is absent or JSON `null` (Go leaves the field unset). */
export function isNull(raw: string | undefined): raw is undefined {
  return raw === undefined || raw === "null";
}

/** A valid JSON text without insignificant white space (Go's json.Compact). */
export function compact(raw: string): string {
  let spaced = false;
  for (let i = 0; i < raw.length; i++) {
    if (isSpace(raw.charCodeAt(i))) {
      spaced = true;
      break;
    }
  }
  if (!spaced) return raw;
  let out = "";
  let from = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x22) {
      i = endOfString(raw, i) - 1;
    } else if (isSpace(c)) {
      out += raw.slice(from, i);
      from = i + 1;
    }
  }
  return out + raw.slice(from);
}

/** A raw JSON string's value; undefined when the raw text is not a string. */
export function readString(raw: string): string | undefined {
  return raw.charCodeAt(0) === 0x22 ? (JSON.parse(raw) as string) : undefined;
}

/** An integer literal within Go's int64 (no fraction, no exponent); undefined otherwise. */
export function readInt(raw: string): number | undefined {
  if (!/^-?(0|[1-9][0-9]*)$/.test(raw)) return undefined;
  const big = BigInt(raw);
  if (big > 9223372036854775807n || big < -9223372036854775808n) return undefined;
  return Number(raw);
}
