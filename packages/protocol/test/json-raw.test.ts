// The single-pass JSON validator: it must agree with JSON.parse (RFC 8259, as Go's
// json.Valid) on every text, and refuse nesting beyond Go's depth limit.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { MAX_JSON_DEPTH, isValidJson } from "../src/index.js";

/** The reference: JSON.parse's verdict, and the nesting depth counted outside strings. */
function reference(text: string): boolean {
  try {
    JSON.parse(text);
  } catch {
    return false;
  }
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") max = Math.max(max, ++depth);
    else if (c === "}" || c === "]") depth--;
  }
  return max <= MAX_JSON_DEPTH;
}

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATOMS = [
  "0",
  "-0",
  "12",
  "-3.25",
  "1e5",
  "2E-3",
  "1.5e+10",
  "true",
  "false",
  "null",
  '""',
  '"a b"',
  '"\\u00e9\\n\\t\\"\\\\\\/"',
  '"\\ud83d\\ude00"',
  '"é€😀"',
];

function randomJson(r: () => number, depth: number): string {
  const k = Math.floor(r() * (depth > 4 ? 1 : 3));
  if (k === 0) return ATOMS[Math.floor(r() * ATOMS.length)] ?? "0";
  const n = Math.floor(r() * 4);
  const items = Array.from({ length: n }, () => randomJson(r, depth + 1));
  const sp = () => [" ", "", "\n", "\t", "\r\n "][Math.floor(r() * 5)] ?? "";
  if (k === 1) return "[" + sp() + items.join(sp() + "," + sp()) + sp() + "]";
  return "{" + sp() + items.map((v, i) => `"k${i}"${sp()}:${sp()}${v}`).join(",") + sp() + "}";
}

/** Flips, inserts or removes a few characters, from a set rich in JSON syntax. */
function mutate(r: () => number, text: string): string {
  const chars = [...text];
  const pool = '{}[]",:.-+eE0123456789 \\tunlfrasx\u0001';
  for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
    const at = Math.floor(r() * (chars.length + 1));
    const ch = pool[Math.floor(r() * pool.length)] ?? "x";
    const op = Math.floor(r() * 3);
    if (op === 0) chars.splice(at, 1);
    else if (op === 1) chars.splice(at, 0, ch);
    else chars[at] = ch;
  }
  return chars.join("");
}

describe("isValidJson", () => {
  test("accepts valid JSON and refuses invalid JSON, as JSON.parse does", () => {
    const cases: [string, boolean][] = [
      ["{}", true],
      [" [ ] ", true],
      ['{"a":1,"b":[true,false,null],"c":{"d":"e"}}', true],
      ["", false],
      ["   ", false],
      ["{", false],
      ["[1,]", false],
      ['{"a":1,}', false],
      ['{"a" 1}', false],
      ["{1:2}", false],
      ["01", false],
      ["1.", false],
      [".5", false],
      ["-", false],
      ["1e", false],
      ["+1", false],
      ["tru", false],
      ["nul", false],
      ["[1 2]", false],
      ['"a\u0001"', false],
      ['"\\x"', false],
      ['"\\u12G4"', false],
      ['"abc', false],
      ["1 2", false],
      ["{}}", false],
      ["[]]", false],
      ["[}", false],
      ['{"a":1]', false],
    ];
    for (const [text, valid] of cases) {
      assert.equal(isValidJson(text), valid, text);
      assert.equal(reference(text), valid, `reference: ${text}`);
    }
  });

  test("nesting up to Go's limit is valid and one more level is not", () => {
    const at = (n: number) => "[".repeat(n) + "]".repeat(n);
    assert.equal(isValidJson(at(MAX_JSON_DEPTH)), true);
    assert.equal(isValidJson(at(MAX_JSON_DEPTH + 1)), false);
    const objects = (n: number) => '{"a":'.repeat(n - 1) + "{}" + "}".repeat(n - 1);
    assert.equal(isValidJson(objects(MAX_JSON_DEPTH)), true);
    assert.equal(isValidJson(objects(MAX_JSON_DEPTH + 1)), false);
    assert.equal(isValidJson('["' + "[".repeat(20_000) + '"]'), true, "brackets in a string");
  });

  test("agrees with the reference on 20 000 seeded random and mutated texts", () => {
    const r = rng(7);
    for (let n = 0; n < 20_000; n++) {
      const valid = randomJson(r, 0);
      const text = n % 2 === 0 ? valid : mutate(r, valid);
      assert.equal(isValidJson(text), reference(text), text);
    }
  });

  test("checks a multi-megabyte text", () => {
    const big = `{"blob":"${"x".repeat(3 << 20)}","n":[${"1,".repeat(100_000)}2]}`;
    assert.equal(isValidJson(big), true);
    assert.equal(isValidJson(big.slice(0, -1)), false);
  });
});
