/**
 * Hostile input for fuzz tests and the soak run: client frames and service replies.
 */
import { pick } from "./random.js";

/** Frames a hostile client might send. */
export function fuzzFrame(r: () => number, n: number): { data: string | Buffer; binary: boolean } {
  const valid = JSON.stringify({
    id: n,
    method:
      ["subscribe", "get", "call", "unsubscribe", "auth", "new", "version"][pick(r, 7)] +
      ".abuse.f" +
      pick(r, 5) +
      (pick(r, 3) === 0 ? ".m" : ""),
    params: pick(r, 2) ? { a: pick(r, 100) } : undefined,
  });
  switch (pick(r, 8)) {
    case 0: {
      const b = Buffer.alloc(pick(r, 200));
      for (let i = 0; i < b.length; i++) b[i] = pick(r, 256);
      return { data: b, binary: true };
    }
    case 1: {
      // A valid request with characters flipped, inserted or removed.
      const chars = [...valid];
      for (let k = 0; k < 1 + pick(r, 4); k++) {
        const at = pick(r, chars.length + 1);
        const op = pick(r, 3);
        const ch = String.fromCharCode(32 + pick(r, 95));
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, ch);
        else chars[at] = ch;
      }
      return { data: chars.join(""), binary: false };
    }
    case 2:
      return {
        data: `{"id":${n},"method":"get.x","params":${"[".repeat(5000)}${"]".repeat(5000)}}`,
        binary: false,
      };
    case 3:
      return {
        data: `{"id":${n},"method":"call.abuse.model.echo","params":{"s":"${"x".repeat(1 << 20)}"}}`,
        binary: false,
      };
    case 4:
      return { data: `{"id":${n},"method":"subscribe.${"a".repeat(5000)}"}`, binary: false };
    case 5:
      return {
        data: ["null", "[]", "42", '"x"', "{}", '{"id":-1}', '{"id":"1"}'][pick(r, 7)] ?? "",
        binary: false,
      };
    case 6:
      return { data: Buffer.from(valid), binary: true };
    default:
      return { data: valid, binary: false };
  }
}

/** Service replies that are invalid, oddly shaped or large. */
export const HOSTILE_REPLIES: readonly string[] = [
  "",
  "null",
  "true",
  "{",
  "[]",
  '{"result":null}',
  '{"result":{"model":[1]}}',
  '{"result":{"model":{"a":{"b":1}}}}',
  '{"result":{"collection":{"a":1}}}',
  '{"result":{"model":{"a":1},"collection":[1]}}',
  '{"error":[]}',
  '{"error":{"code":1}}',
  '{"result":{"model":{"r":{"rid":"abuse.h.0"}}}}',
  `{"result":{"collection":[${Array.from({ length: 2000 }, (_, i) => i).join(",")}]}}`,
  `{"result":{"model":{${Array.from({ length: 2000 }, (_, i) => `"k${i}":${i}`).join(",")}}}}`,
  '{"result":{"get":"yes"}}',
];

/**
 * The heavier service replies of the soak storm, for `get.<prefix>.<n>`: a model of
 * 20 000 keys, multi-megabyte models and collections (they need a NATS max_payload
 * above 1 MiB), and reference chains (`<prefix>.<n>` refers to `<prefix>.<n+1>`), mixed
 * with the hostile replies above.
 */
export function stormReply(prefix: string, n: number, r: () => number): string {
  switch (n % 8) {
    case 0:
    case 1:
      return JSON.stringify({ result: { model: { n, next: { rid: `${prefix}.${n + 1}` } } } });
    case 2:
      return MANY_KEYS_MODEL;
    case 3:
      return BIG_MODEL;
    case 4:
      return BIG_COLLECTION;
    default:
      return HOSTILE_REPLIES[pick(r, HOSTILE_REPLIES.length)] ?? "";
  }
}

/** Event payloads of the soak storm: large and many-keyed changes, large adds, hostile text. */
export function stormEvent(r: () => number): { name: string; payload: string } {
  switch (pick(r, 8)) {
    case 0:
    case 1:
      return { name: "change", payload: HALF_MB_CHANGE };
    case 2:
      return { name: "change", payload: BIG_CHANGE };
    case 3:
      return { name: "change", payload: MANY_KEYS_CHANGE };
    case 4:
      return { name: "add", payload: BIG_ADD };
    default:
      return {
        name: ["change", "add", "remove", "custom"][pick(r, 4)] ?? "custom",
        payload: HOSTILE_REPLIES[pick(r, HOSTILE_REPLIES.length)] ?? "",
      };
  }
}

const MB = 1024 * 1024;
const manyKeys = `{${Array.from({ length: 20_000 }, (_, i) => `"key${i}":${i}`).join(",")}}`;
const MANY_KEYS_MODEL = `{"result":{"model":${manyKeys}}}`;
const BIG_MODEL = `{"result":{"model":{"blob":"${"x".repeat(3 * MB)}","n":1}}}`;
const BIG_COLLECTION = `{"result":{"collection":[${Array.from({ length: 400_000 }, (_, i) => i % 1000).join(",")}]}}`;
const HALF_MB_CHANGE = `{"values":{"blob":"${"w".repeat(MB / 2)}"}}`;
const BIG_CHANGE = `{"values":{"blob":"${"y".repeat(3 * MB)}"}}`;
const MANY_KEYS_CHANGE = `{"values":${manyKeys}}`;
const BIG_ADD = `{"idx":0,"value":"${"z".repeat(2 * MB)}"}`;
