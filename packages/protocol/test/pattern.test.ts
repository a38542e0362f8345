// Resource patterns of system.reset, from Resgate's
// test/61rescache_resourcepattern_test.go tables.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ResourcePattern } from "../src/index.js";

function parse(p: string): ResourcePattern {
  const rp = ResourcePattern.parse(p);
  if (!rp) assert.fail(`expected ${JSON.stringify(p)} to be a valid pattern`);
  return rp;
}

const validPatterns = [
  "test",
  "test.model",
  "test.model.foo",
  "test$.model",
  "$test.model",

  ">",
  "test.>",
  "test.model.>",

  "*",
  "test.*",
  "*.model",
  "test.*.foo",
  "test.model.*",
  "*.model.foo",
  "test.*.*",

  "test.*.>",
];

const invalidPatterns = [
  "",
  ".",
  ".test",
  "test.",
  "test..foo",

  "*test",
  "test*",
  "test.*foo",
  "test.foo*",
  "test.**.foo",

  ">test",
  "test>",
  "test.>foo",
  "test.foo>",
  "test.>.foo",

  "test.$foo>",
  "test.$foo*",

  "test.foo?",
  "test. .foo",
  "test.\u00127.foo",
  "test.räv",
];

const matching: readonly [string, string][] = [
  ["test", "test"],
  ["test.model", "test.model"],
  ["test.model.foo", "test.model.foo"],
  ["test$.model", "test$.model"],
  ["$foo.model", "$foo.model"],

  [">", "test.model.foo"],
  ["test.>", "test.model.foo"],
  ["test.model.>", "test.model.foo"],

  ["*", "test"],
  ["test.*", "test.model"],
  ["*.model", "test.model"],
  ["test.*.foo", "test.model.foo"],
  ["test.model.*", "test.model.foo"],
  ["*.model.foo", "test.model.foo"],
  ["test.*.*", "test.model.foo"],

  ["test.*.>", "test.model.foo"],
];

/** Non-matching pairs whose pattern is valid (Resgate's table, less the "" patterns). */
const nonMatching: readonly [string, string][] = [
  ["test", "test.model"],
  ["test.model", "test.mode"],
  ["test.model.foo", "test.model"],
  ["test.model.foo", "test.mode.foo"],
  ["test", "testing"],
  ["testing", "test"],
  ["foo", "bar"],

  ["test.>", "test"],
  ["test.model.>", "test.model"],

  ["*", "test.model"],
  ["test.*", "test.model.foo"],
  ["*.model", "test"],
  ["test.*.foo", "test.model"],
  ["test.model.*", "test.model"],
  ["*.model.foo", "test.model"],
  ["test.*.*", "test.model"],
  ["foo.*", "bar.model"],
  ["*.bar", "foo.baz"],

  ["test.*.>", "test.model"],
];

describe("ResourcePattern.parse: valid patterns", () => {
  for (const p of validPatterns) {
    test(JSON.stringify(p), () => {
      const rp = ResourcePattern.parse(p);
      assert.ok(rp, `${JSON.stringify(p)} should be valid`);
      assert.equal(rp.pattern, p);
    });
  }
});

describe("ResourcePattern.parse: invalid patterns", () => {
  for (const p of invalidPatterns) {
    test(JSON.stringify(p), () => {
      assert.equal(ResourcePattern.parse(p), undefined);
    });
  }
});

describe("ResourcePattern.matches: matching", () => {
  for (const [p, name] of matching) {
    test(`${JSON.stringify(p)} matches ${JSON.stringify(name)}`, () => {
      assert.equal(parse(p).matches(name), true);
    });
  }
});

describe("ResourcePattern.matches: not matching", () => {
  // Resgate's ("", "") and ("", "test") rows: an empty pattern is invalid, so it matches nothing.
  test('"" is no pattern, so it matches nothing', () => {
    assert.equal(ResourcePattern.parse(""), undefined);
  });

  for (const [p, name] of nonMatching) {
    test(`${JSON.stringify(p)} does not match ${JSON.stringify(name)}`, () => {
      assert.equal(parse(p).matches(name), false);
    });
  }

  test('">" does not match "" (Resgate table row)', {}, () => {
    assert.equal(parse(">").matches(""), false);
    assert.equal(parse("*").matches(""), false);
  });
});

describe("ResourcePattern.matches: further cases", () => {
  test("a pattern without wildcards matches only itself", () => {
    const p = parse("test.model");
    assert.equal(p.matches("test.model"), true);
    assert.equal(p.matches("test.model.x"), false);
    assert.equal(p.matches("x.test.model"), false);
    assert.equal(p.matches("test"), false);
  });

  test("> matches one or more trailing parts", () => {
    const p = parse("a.>");
    assert.equal(p.matches("a.b"), true);
    assert.equal(p.matches("a.b.c.d.e"), true);
    assert.equal(p.matches("a"), false);
    assert.equal(p.matches("b.c"), false);
  });

  test("* matches exactly one part", () => {
    const p = parse("a.*.c");
    assert.equal(p.matches("a.b.c"), true);
    assert.equal(p.matches("a.bbb.c"), true);
    assert.equal(p.matches("a.b.b.c"), false);
    assert.equal(p.matches("a.c"), false);
    assert.equal(p.matches("a.b.d"), false);
  });

  test("a part must match whole, not as a prefix", () => {
    assert.equal(parse("test.mod").matches("test.model"), false);
    assert.equal(parse("test.*").matches("testing.model"), false);
    assert.equal(parse("tes.>").matches("test.model"), false);
  });
});
