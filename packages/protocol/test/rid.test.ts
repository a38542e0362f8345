// Resource ID validation, splitting and {cid} expansion.
// The isValidRid table is Resgate's TestIsValidRID (test/17codec_test.go).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CID_PLACEHOLDER, expandCid, isValidRid, isValidRidPart, splitRid } from "../src/index.js";

/** [rid, allowQuery, valid] */
const ridTable: readonly [string, boolean, boolean][] = [
  // Valid RID
  ["test", true, true],
  ["test.model", true, true],
  ["test.model._foo_", true, true],
  ["test.model.<foo", true, true],
  ["test.model.23", true, true],
  ["test.model.23?", true, true],
  ["test.model.23?foo=bar", true, true],
  ["test.model.23?foo=test.bar", true, true],
  ["test.model.23?foo=*&?", true, true],
  // Invalid RID
  ["", true, false],
  [".test", true, false],
  ["test.", true, false],
  [".test.model", true, false],
  ["test..model", true, false],
  ["test.model.", true, false],
  [".test.model", true, false],
  ["test\tmodel", true, false],
  ["test\nmodel", true, false],
  ["test\rmodel", true, false],
  ["test model", true, false],
  ["test\ufffdmodel", true, false],
  ["täst.model", true, false],
  ["test.*.model", true, false],
  ["test.>.model", true, false],
  ["test.model.>", true, false],
  ["?foo=test.bar", true, false],
  [".test.model?foo=test.bar", true, false],
  ["test..model?foo=test.bar", true, false],
  ["test.model.?foo=test.bar", true, false],
  [".test.model?foo=test.bar", true, false],
  ["test\tmodel?foo=test.bar", true, false],
  ["test\nmodel?foo=test.bar", true, false],
  ["test\rmodel?foo=test.bar", true, false],
  ["test model?foo=test.bar", true, false],
  ["test\ufffdmodel?foo=test.bar", true, false],
  ["täst.model?foo=test.bar", true, false],
  ["test.*.model?foo=test.bar", true, false],
  ["test.>.model?foo=test.bar", true, false],
  ["test.model.>?foo=test.bar", true, false],
  // Invalid RID with allowQuery set to false
  ["test.model.23?", false, false],
  ["test.model.23?foo=bar", false, false],
  ["test.model.23?foo=test.bar", false, false],
  ["test.model.23?foo=*&?", false, false],
  // Invalid RID independent on value of allowQuery
  ["?foo=test.bar", false, false],
  [".test.model?foo=test.bar", false, false],
  ["test..model?foo=test.bar", false, false],
  ["test.model.?foo=test.bar", false, false],
  [".test.model?foo=test.bar", false, false],
  ["test\tmodel?foo=test.bar", false, false],
  ["test\nmodel?foo=test.bar", false, false],
  ["test\rmodel?foo=test.bar", false, false],
  ["test model?foo=test.bar", false, false],
  ["test\ufffdmodel?foo=test.bar", false, false],
  ["täst.model?foo=test.bar", false, false],
  ["test.*.model?foo=test.bar", false, false],
  ["test.>.model?foo=test.bar", false, false],
  ["test.model.>?foo=test.bar", false, false],
];

describe("isValidRid (Resgate's TestIsValidRID table)", () => {
  for (const [rid, allowQuery, valid] of ridTable) {
    test(`${JSON.stringify(rid)} allowQuery=${allowQuery} -> ${valid}`, () => {
      assert.equal(isValidRid(rid, allowQuery), valid);
    });
  }
});

describe("isValidRid, further cases", () => {
  test("valid names are valid with or without allowQuery", () => {
    for (const rid of ["test", "test.model", "a.b.c.d", "$test.model", "test.model._foo_"]) {
      assert.equal(isValidRid(rid, false), true, rid);
      assert.equal(isValidRid(rid, true), true, rid);
    }
  });

  test("every printable ASCII character except * > ? is allowed between two parts", () => {
    for (let c = 33; c <= 126; c++) {
      const ch = String.fromCharCode(c);
      // "." splits "a.b" into two valid parts; "?" starts a query (not allowed here).
      const expected = !"*>?".includes(ch);
      assert.equal(isValidRid(`a${ch}b`, false), expected, `character ${JSON.stringify(ch)}`);
    }
  });

  test("control characters, DEL and non-ASCII are rejected", () => {
    for (const ch of ["\u0000", "\u001f", " ", "\u007f", "\u0080", "é", "\u2028", "😀"]) {
      assert.equal(isValidRid(`a${ch}b`, true), false, JSON.stringify(ch));
    }
  });

  test("the query part may hold any character, once the name is valid", () => {
    assert.equal(isValidRid("a.b?x= *>..\t é", true), true);
    assert.equal(isValidRid("a?", true), true);
    assert.equal(isValidRid("a.?", true), false);
    assert.equal(isValidRid("?", true), false);
  });
});

describe("isValidRidPart", () => {
  const cases: readonly [string, boolean][] = [
    ["foo", true],
    ["set", true],
    ["_foo_", true],
    ["$foo", true],
    ["<foo>", false],
    ["a!\"#%&'()+,-/:;<=@[\\]^`{|}~", true],
    ["", false],
    ["foo.bar", false],
    [".", false],
    ["*", false],
    ["foo*", false],
    [">", false],
    ["foo>", false],
    ["?", false],
    ["foo?bar", false],
    ["foo bar", false],
    ["foo\tbar", false],
    ["\u007f", false],
    ["räv", false],
    ["test\ufffd", false],
  ];
  for (const [part, valid] of cases) {
    test(`${JSON.stringify(part)} -> ${valid}`, () => {
      assert.equal(isValidRidPart(part), valid);
    });
  }
});

describe("splitRid", () => {
  const cases: readonly [string, string, string][] = [
    ["test.model", "test.model", ""],
    ["test.model?foo=bar", "test.model", "foo=bar"],
    ["test.model?", "test.model", ""],
    ["test.model?a=1&b=2", "test.model", "a=1&b=2"],
    ["test.model?q=a?b", "test.model", "q=a?b"],
    ["test.model?q=a.b", "test.model", "q=a.b"],
    ["", "", ""],
    ["?q", "", "q"],
  ];
  for (const [rid, name, query] of cases) {
    test(`${JSON.stringify(rid)} -> name ${JSON.stringify(name)}, query ${JSON.stringify(query)}`, () => {
      assert.deepEqual(splitRid(rid), { name, query });
    });
  }
});

describe("expandCid", () => {
  test("the placeholder is {cid}", () => {
    assert.equal(CID_PLACEHOLDER, "{cid}");
  });

  test("replaces a placeholder", () => {
    assert.equal(expandCid("user.{cid}.model", "c1"), "user.c1.model");
  });

  test("replaces every placeholder", () => {
    assert.equal(expandCid("{cid}.a.{cid}?x={cid}", "abc"), "abc.a.abc?x=abc");
  });

  test("adjacent placeholders", () => {
    assert.equal(expandCid("a.{cid}{cid}", "x"), "a.xx");
  });

  test("a rid without placeholder is returned unchanged", () => {
    assert.equal(expandCid("test.model", "c1"), "test.model");
    assert.equal(expandCid("test.{cid", "c1"), "test.{cid");
    assert.equal(expandCid("test.cid}", "c1"), "test.cid}");
    assert.equal(expandCid("test.{CID}", "c1"), "test.{CID}");
  });

  test("the connection ID is inserted literally", () => {
    assert.equal(expandCid("a.{cid}", "$&$1"), "a.$&$1");
  });
});
