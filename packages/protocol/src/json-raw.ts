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

const OBJECT = 1;
const ARRAY = 2;
/** Open containers of the text being validated (one validation runs at a time). */
const open = new Uint8Array(MAX_JSON_DEPTH);

/**
 * Checks that `text` is one valid JSON value (RFC 8259, as Go's json.Valid) nested at
 * most MAX_JSON_DEPTH deep. One pass that allocates nothing: service payloads of
 * megabytes or 20 000 keys are checked without building the value they describe.
 */
export function isValidJson(text: string): boolean {
  const n = text.length;
  let depth = 0;
  let i = skipSpace(text, 0);
  for (;;) {
    // A value starts at i.
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      if (depth === MAX_JSON_DEPTH) return false;
      open[depth++] = c === 0x7b ? OBJECT : ARRAY;
      i = skipSpace(text, i + 1);
      const d = text.charCodeAt(i);
      if (d === (c === 0x7b ? 0x7d : 0x5d)) {
        depth--;
        i++;
      } else {
        if (c === 0x7b) {
          i = memberName(text, i);
          if (i < 0) return false;
        }
        continue;
      }
    } else {
      i = endOfScalar(text, i, c);
      if (i < 0) return false;
    }
    // After a value: a separator, or the end of one or more containers.
    for (;;) {
      i = skipSpace(text, i);
      if (depth === 0) return i === n;
      const d = text.charCodeAt(i);
      const kind = open[depth - 1];
      if (d === 0x2c) {
        i = skipSpace(text, i + 1);
        if (kind === OBJECT) {
          i = memberName(text, i);
          if (i < 0) return false;
        }
        break;
      }
      if (d !== (kind === OBJECT ? 0x7d : 0x5d)) return false;
      depth--;
      i++;
    }
  }
}

/** Past a member name and its colon (and the space after); -1 when there is none. */
function memberName(text: string, i: number): number {
  if (text.charCodeAt(i) !== 0x22) return -1;
  i = endOfValidString(text, i);
  if (i < 0) return -1;
  i = skipSpace(text, i);
  if (text.charCodeAt(i) !== 0x3a) return -1;
  return skipSpace(text, i + 1);
}

/** The index past a string, number or literal starting at `i` with `c`; -1 if invalid. */
function endOfScalar(text: string, i: number, c: number): number {
  if (c === 0x22) return endOfValidString(text, i);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return endOfValidNumber(text, i);
  const literal = c === 0x74 ? "true" : c === 0x66 ? "false" : c === 0x6e ? "null" : "";
  if (literal === "" || !text.startsWith(literal, i)) return -1;
  return i + literal.length;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

// Control characters are what the class must exclude: JSON forbids them in strings.
// eslint-disable-next-line no-control-regex
const PLAIN_CHARACTERS = /[^"\\\u0000-\u001f]*/y;

/** Past a string with valid escapes and no control characters; -1 if invalid. */
function endOfValidString(text: string, i: number): number {
  const n = text.length;
  for (let j = i + 1; j < n; j++) {
    // Runs of plain characters are skipped natively (long strings are common).
    PLAIN_CHARACTERS.lastIndex = j;
    PLAIN_CHARACTERS.test(text);
    j = PLAIN_CHARACTERS.lastIndex;
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      const e = text.charCodeAt(++j);
      if (e === 0x75) {
        if (!(isHex(text.charCodeAt(j + 1)) && isHex(text.charCodeAt(j + 2)))) return -1;
        if (!(isHex(text.charCodeAt(j + 3)) && isHex(text.charCodeAt(j + 4)))) return -1;
        j += 4;
      } else if (
        e !== 0x22 &&
        e !== 0x5c &&
        e !== 0x2f &&
        e !== 0x62 &&
        e !== 0x66 &&
        e !== 0x6e &&
        e !== 0x72 &&
        e !== 0x74
      ) {
        return -1;
      }
    }
  }
  return -1;
}

function endOfDigits(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i;
}

/** Past a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; -1 if invalid. */
function endOfValidNumber(text: string, i: number): number {
  if (text.charCodeAt(i) === 0x2d) i++;
  const first = text.charCodeAt(i);
  if (first === 0x30) i++;
  else if (first >= 0x31 && first <= 0x39) i = endOfDigits(text, i + 1);
  else return -1;
  if (text.charCodeAt(i) === 0x2e) {
    const j = endOfDigits(text, i + 1);
    if (j === i + 1) return -1;
    i = j;
  }
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i++;
    const j = endOfDigits(text, i);
    if (j === i) return -1;
    i = j;
  }
  return i;
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
