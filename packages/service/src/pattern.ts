/**
 * Handler patterns: dot-separated resource name parts where
 *
 * - `$name` is a named placeholder matching one part (its value lands in `pathParams.name`),
 * - `*` is an anonymous placeholder matching one part,
 * - a final `>` matches one or more trailing parts.
 *
 * The parameter names are also extracted at the type level, so
 * `handle("book.$id", { get: (r) => r.pathParams.id })` is typed as `{ id: string }`.
 */

/** The name of a `$name` part, or never. */
type ParamName<Part extends string> = Part extends `$${infer Name}` ? Name : never;

/** The union of the `$name` parameter names in a pattern. */
export type ParamNames<Pattern extends string> = Pattern extends `${infer Head}.${infer Tail}`
  ? ParamName<Head> | ParamNames<Tail>
  : ParamName<Pattern>;

/** Flattens an intersection into a single object type (for readable hovers and errors). */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The path parameters of a pattern: `PathParams<"book.$id.page.$n">` is
 * `{ id: string; n: string }`. A pattern only known as `string` gives a string record.
 */
export type PathParams<Pattern extends string> = string extends Pattern
  ? Record<string, string>
  : { [K in ParamNames<Pattern>]: string };

/** The path parameters of a handler pattern, as any handler stores them at run time. */
export type AnyParams = Record<string, string>;

/** True when `part` is a valid literal resource name part (printable ASCII without `.*>?`). */
export function isValidPart(part: string): boolean {
  if (part.length === 0) return false;
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (c < 33 || c > 126 || c === 46 || c === 42 || c === 62 || c === 63) return false;
  }
  return true;
}

/** One parsed pattern part. */
export type PatternToken =
  | { kind: "literal"; value: string }
  | { kind: "param"; name: string }
  | { kind: "wildcard" }
  | { kind: "tail" };

/**
 * Parses a handler pattern (relative to the service or group it is registered on).
 * The empty pattern is valid and means the prefix itself. Throws on invalid patterns.
 */
export function parsePattern(pattern: string): PatternToken[] {
  if (pattern === "") return [];
  const parts = pattern.split(".");
  const tokens: PatternToken[] = [];
  const names = new Set<string>();
  parts.forEach((part, i) => {
    if (part === ">") {
      if (i !== parts.length - 1) throw invalidPattern(pattern, "'>' must be the last part");
      tokens.push({ kind: "tail" });
    } else if (part === "*") {
      tokens.push({ kind: "wildcard" });
    } else if (part.startsWith("$")) {
      const name = part.slice(1);
      if (!isValidPart(name) || name.includes("$"))
        throw invalidPattern(pattern, `invalid placeholder "${part}"`);
      if (names.has(name)) throw invalidPattern(pattern, `placeholder "${part}" used twice`);
      names.add(name);
      tokens.push({ kind: "param", name });
    } else {
      if (!isValidPart(part)) throw invalidPattern(pattern, `invalid part "${part}"`);
      tokens.push({ kind: "literal", value: part });
    }
  });
  return tokens;
}

/** True when the pattern is a plain path: literal parts only (or empty). */
export function isPlainPath(path: string): boolean {
  try {
    return parsePattern(path).every((t) => t.kind === "literal");
  } catch {
    return false;
  }
}

function invalidPattern(pattern: string, reason: string): Error {
  return new Error(`res: invalid pattern "${pattern}": ${reason}`);
}

/** Joins two patterns with a dot, leaving out empty sides. */
export function joinPattern(a: string, b: string): string {
  if (a === "") return b;
  if (b === "") return a;
  return a + "." + b;
}

/**
 * A worker group: a string where `${name}` tags are replaced by the path parameter of
 * that name. Resources with the same group share one ordered queue.
 */
export type GroupPart = { literal: string } | { paramIndex: number };

/**
 * Parses a group string such as `"book.${id}"` against the pattern tokens, resolving
 * each tag to the index of its `$name` token. Throws on unknown tags or bad syntax.
 */
export function parseGroup(group: string, tokens: readonly PatternToken[]): GroupPart[] {
  const parts: GroupPart[] = [];
  let i = 0;
  let literal = "";
  while (i < group.length) {
    const c = group[i];
    if (c === "$") {
      if (group[i + 1] !== "{") throw new Error(`res: expected "{" at pos ${i + 1} in group`);
      const end = group.indexOf("}", i + 2);
      if (end === -1) throw new Error("res: unexpected end of group tag");
      const name = group.slice(i + 2, end);
      if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`res: invalid group tag "\${${name}}"`);
      const idx = tokens.findIndex((t) => t.kind === "param" && t.name === name);
      if (idx === -1) throw new Error(`res: group tag \${${name}} not found in pattern`);
      if (literal !== "") parts.push({ literal });
      literal = "";
      parts.push({ paramIndex: idx });
      i = end + 1;
    } else {
      literal += c;
      i++;
    }
  }
  if (literal !== "") parts.push({ literal });
  return parts;
}

/**
 * True when every subject matched by `b` is also matched by `a` (NATS wildcard
 * semantics, `*` one token and `>` the rest). Used to skip redundant subscriptions.
 */
export function subjectCovers(a: string, b: string): boolean {
  const at = a.split(".");
  const bt = b.split(".");
  for (let i = 0; i < at.length; i++) {
    const x = at[i];
    if (x === ">") return bt.length > i;
    const y = bt[i];
    if (y === undefined) return false;
    if (x === "*") {
      if (y === ">") return false;
      continue;
    }
    if (x !== y) return false;
  }
  return at.length === bt.length;
}
