// RES values: parsing (as Resgate's codec.Value.UnmarshalJSON), equality and the
// legacy (< 1.2.1) encoding.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  DELETE_VALUE,
  ErrorCode,
  ValueType,
  isProperValue,
  legacyValueJson,
  needsLegacyEncoding,
  parseValue,
  valueEquals,
  type Value,
} from "../src/index.js";

/** Parses a value that must be valid. */
function ok(v: unknown): Value {
  const r = parseValue(v);
  if (!r.ok) assert.fail(`expected ${JSON.stringify(v)} to parse, got ${r.error.message}`);
  return r.value;
}

/** Parses a value that must be invalid, and returns the error message. */
function fails(v: unknown): string {
  const r = parseValue(v);
  if (r.ok) assert.fail(`expected ${JSON.stringify(v)} to fail, got ${r.value.json}`);
  assert.equal(r.error.code, ErrorCode.internalError);
  return r.error.message;
}

describe("parseValue: primitives", () => {
  const cases: readonly [unknown, string][] = [
    ["foo", '"foo"'],
    ["", '""'],
    ['quote " and \\ backslash', '"quote \\" and \\\\ backslash"'],
    [42, "42"],
    [0, "0"],
    [-1.5, "-1.5"],
    [true, "true"],
    [false, "false"],
    [null, "null"],
  ];
  for (const [v, json] of cases) {
    test(`${JSON.stringify(v)} is a primitive`, () => {
      const value = ok(v);
      assert.equal(value.type, ValueType.primitive);
      assert.equal(value.json, json);
      assert.equal(value.rid, "");
    });
  }
});

describe("parseValue: references", () => {
  test("a resource reference", () => {
    const v = ok({ rid: "test.model" });
    assert.equal(v.type, ValueType.reference);
    assert.equal(v.rid, "test.model");
    assert.equal(v.json, '{"rid":"test.model"}');
  });

  test("a reference with a query", () => {
    const v = ok({ rid: "test.model?foo=bar" });
    assert.equal(v.type, ValueType.reference);
    assert.equal(v.rid, "test.model?foo=bar");
  });

  test("soft: false is a hard reference", () => {
    const v = ok({ rid: "test.model", soft: false });
    assert.equal(v.type, ValueType.reference);
    assert.equal(v.rid, "test.model");
  });

  test("soft: null is a hard reference", () => {
    assert.equal(ok({ rid: "test.model", soft: null }).type, ValueType.reference);
  });

  test("a soft reference", () => {
    const v = ok({ rid: "test.model", soft: true });
    assert.equal(v.type, ValueType.softReference);
    assert.equal(v.rid, "test.model");
    assert.equal(v.json, '{"rid":"test.model","soft":true}');
  });

  test("rid: null is no reference", () => {
    assert.match(fails({ rid: null }), /nested json object must be wrapped as a data value/);
    assert.equal(ok({ rid: null, action: "delete" }).type, ValueType.delete);
    assert.equal(ok({ rid: null, data: 1 }).type, ValueType.primitive);
  });
});

describe("parseValue: delete action", () => {
  test("an action delete is the delete value", () => {
    const v = ok({ action: "delete" });
    assert.equal(v.type, ValueType.delete);
    assert.equal(v, DELETE_VALUE);
    assert.equal(v.json, '{"action":"delete"}');
    assert.equal(isProperValue(v), false);
  });
});

describe("parseValue: data values", () => {
  const primitives: readonly [unknown, string][] = [
    [42, "42"],
    ["foo", '"foo"'],
    [true, "true"],
    [false, "false"],
    [null, "null"],
  ];
  for (const [data, json] of primitives) {
    test(`{"data":${JSON.stringify(data)}} is the primitive ${json}`, () => {
      const v = ok({ data });
      assert.equal(v.type, ValueType.primitive);
      assert.equal(v.json, json);
      assert.ok(valueEquals(v, ok(data)));
    });
  }

  test("a wrapped object is a data value", () => {
    const v = ok({ data: { foo: ["bar"] } });
    assert.equal(v.type, ValueType.data);
    assert.equal(v.json, '{"data":{"foo":["bar"]}}');
    assert.equal(v.rid, "");
  });

  test("a wrapped array is a data value", () => {
    const v = ok({ data: [{ foo: "bar" }] });
    assert.equal(v.type, ValueType.data);
    assert.equal(v.json, '{"data":[{"foo":"bar"}]}');
  });

  test("an empty wrapped object and array are data values", () => {
    assert.equal(ok({ data: {} }).type, ValueType.data);
    assert.equal(ok({ data: [] }).type, ValueType.data);
  });
});

describe("parseValue: errors", () => {
  test("an array", () => {
    assert.equal(
      fails([1, 2]),
      "Internal error: invalid value: nested json array must be wrapped as a data value",
    );
    assert.match(fails([]), /nested json array must be wrapped as a data value/);
  });

  test("an unwrapped object", () => {
    assert.equal(
      fails({ foo: "bar" }),
      "Internal error: invalid value: nested json object must be wrapped as a data value",
    );
    assert.match(fails({}), /nested json object must be wrapped as a data value/);
    assert.match(fails({ soft: true }), /nested json object must be wrapped as a data value/);
  });

  test("an empty rid", () => {
    assert.equal(
      fails({ rid: "" }),
      'Internal error: invalid value: resource references requires a non-empty "rid" value',
    );
    assert.match(fails({ rid: "", soft: true }), /non-empty "rid" value/);
    assert.match(fails({ rid: "", action: "delete" }), /non-empty "rid" value/);
  });

  for (const rid of ["test..model", ".test", "test.", "test.*", "test.>", "test model", "täst"]) {
    test(`an invalid rid ${JSON.stringify(rid)}`, () => {
      assert.equal(
        fails({ rid }),
        `Internal error: invalid value: resource reference rid "${rid}" is invalid`,
      );
    });
  }

  test("a rid that is not a string", () => {
    fails({ rid: 42 });
    fails({ rid: true });
    fails({ rid: { rid: "test.model" } });
  });

  test("a soft flag that is not a boolean", () => {
    fails({ rid: "test.model", soft: "true" });
    fails({ rid: "test.model", soft: 1 });
  });

  const ambiguous: readonly unknown[] = [
    { rid: "test.model", action: "delete" },
    { rid: "test.model", data: 42 },
    { rid: "test.model", data: null },
    { rid: "test.model", data: { foo: "bar" } },
    { action: "delete", data: 42 },
    { action: "delete", data: null },
  ];
  for (const v of ambiguous) {
    test(`ambiguous ${JSON.stringify(v)}`, () => {
      assert.equal(fails(v), "Internal error: invalid value: ambiguous value type");
    });
  }

  test("an unknown action", () => {
    assert.equal(fails({ action: "foo" }), 'Internal error: invalid value: unknown action "foo"');
    assert.equal(fails({ action: "" }), 'Internal error: invalid value: unknown action ""');
    assert.equal(
      fails({ action: "Delete" }),
      'Internal error: invalid value: unknown action "Delete"',
    );
  });

  test("an action that is not a string", () => {
    fails({ action: 42 });
  });
});

describe("isProperValue", () => {
  test("every type but delete is proper", () => {
    assert.equal(isProperValue(ok(1)), true);
    assert.equal(isProperValue(ok({ rid: "a" })), true);
    assert.equal(isProperValue(ok({ rid: "a", soft: true })), true);
    assert.equal(isProperValue(ok({ data: [1] })), true);
    assert.equal(isProperValue(DELETE_VALUE), false);
  });
});

describe("valueEquals", () => {
  const equal: readonly [unknown, unknown][] = [
    ["foo", "foo"],
    [42, 42],
    [null, null],
    [true, true],
    [42, { data: 42 }],
    [{ data: "x" }, "x"],
    [{ data: null }, null],
    [{ rid: "test.model" }, { rid: "test.model" }],
    [{ rid: "test.model" }, { rid: "test.model", soft: false }],
    [
      { rid: "test.model", soft: true },
      { rid: "test.model", soft: true },
    ],
    [{ data: { a: 1 } }, { data: { a: 1 } }],
    [{ data: [1, 2] }, { data: [1, 2] }],
    [{ action: "delete" }, { action: "delete" }],
  ];
  for (const [a, b] of equal) {
    test(`${JSON.stringify(a)} equals ${JSON.stringify(b)}`, () => {
      assert.equal(valueEquals(ok(a), ok(b)), true);
      assert.equal(valueEquals(ok(b), ok(a)), true);
    });
  }

  const unequal: readonly [unknown, unknown][] = [
    ["foo", "bar"],
    ["42", 42],
    [1, 1.5],
    [0, false],
    [null, false],
    ["", null],
    [{ rid: "test.model" }, { rid: "test.other" }],
    [{ rid: "test.model" }, { rid: "test.model", soft: true }],
    [{ rid: "test.model" }, "test.model"],
    [{ rid: "test.model", soft: true }, "test.model"],
    [{ data: { a: 1 } }, { data: { a: 2 } }],
    [{ data: { a: 1, b: 2 } }, { data: { b: 2, a: 1 } }],
    [{ data: [1, 2] }, { data: [2, 1] }],
    [{ data: [] }, { data: {} }],
    [{ action: "delete" }, null],
  ];
  for (const [a, b] of unequal) {
    test(`${JSON.stringify(a)} does not equal ${JSON.stringify(b)}`, () => {
      assert.equal(valueEquals(ok(a), ok(b)), false);
      assert.equal(valueEquals(ok(b), ok(a)), false);
    });
  }
});

describe("legacyValueJson and needsLegacyEncoding", () => {
  const cases: readonly [unknown, string, boolean][] = [
    ["foo", '"foo"', false],
    [42, "42", false],
    [null, "null", false],
    [{ data: 42 }, "42", false],
    [{ rid: "test.model" }, '{"rid":"test.model"}', false],
    [{ rid: "test.model", soft: true }, '"test.model"', true],
    [{ rid: 'test.model?q="x"', soft: true }, '"test.model?q=\\"x\\""', true],
    [{ data: { foo: "bar" } }, '"[Data]"', true],
    [{ data: [1, 2, 3] }, '"[Data]"', true],
  ];
  for (const [v, json, needs] of cases) {
    test(`${JSON.stringify(v)} -> ${json}`, () => {
      const value = ok(v);
      assert.equal(legacyValueJson(value), json);
      assert.equal(needsLegacyEncoding(value), needs);
    });
  }
});
