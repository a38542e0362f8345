/**
 * Reading call parameters and tokens, which arrive as `unknown` JSON. Every reader
 * throws an Error with a message for the client: inside `r.parseParams(...)` that
 * answers system.invalidParams with the message.
 */

/** The members of a JSON object (throws unless `value` is an object). */
export function members(value: unknown, what = "Parameters"): ReadonlyMap<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${what} must be an object`);
  }
  return new Map<string, unknown>(Object.entries(value));
}

/** A string member, trimmed; throws when it is missing, not a string, or empty. */
export function requiredText(m: ReadonlyMap<string, unknown>, name: string, label = name): string {
  const text = optionalText(m, name, label);
  if (text === undefined) throw new Error(`${label} is required`);
  return text;
}

/** A string member, trimmed, or undefined when missing; throws when it is not a non-empty string. */
export function optionalText(
  m: ReadonlyMap<string, unknown>,
  name: string,
  label = name,
): string | undefined {
  const v = m.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new Error(`${label} must be a string`);
  const text = v.trim();
  if (text === "") throw new Error(`${label} must not be empty`);
  return text;
}

/** A string member as sent (empty allowed); throws when missing or not a string. */
export function rawText(m: ReadonlyMap<string, unknown>, name: string, label = name): string {
  const v = m.get(name);
  if (typeof v !== "string") throw new Error(`${label} must be a string`);
  return v;
}

/** A positive integer member; throws when missing or not one. */
export function requiredId(m: ReadonlyMap<string, unknown>, name: string, label = name): number {
  const v = m.get(name);
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) {
    throw new Error(`${label} must be a positive integer`);
  }
  return v;
}
