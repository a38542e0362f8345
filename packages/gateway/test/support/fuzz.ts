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
