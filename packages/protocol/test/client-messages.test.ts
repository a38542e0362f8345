// Decoding of client frames and the exact text of gateway → client frames.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  ResError,
  decodeClientRequest,
  encodeError,
  encodeErrorObject,
  encodeEvent,
  encodeResult,
} from "../src/index.js";

describe("decodeClientRequest: frames that get no reply", () => {
  const dropped: readonly [string, string][] = [
    ["not JSON", "not json"],
    ["empty text", ""],
    ["broken JSON", '{"id":1,'],
    ["a number", "42"],
    ["a string", '"version"'],
    ["null", "null"],
    ["true", "true"],
    ["an array", '[{"id":1,"method":"version"}]'],
    ["an empty object", "{}"],
    ["missing id", '{"method":"version"}'],
    ["null id", '{"id":null,"method":"version"}'],
    ["negative id", '{"id":-1,"method":"version"}'],
    ["fractional id", '{"id":1.5,"method":"version"}'],
    ["string id", '{"id":"1","method":"version"}'],
    ["boolean id", '{"id":true,"method":"version"}'],
    ["object id", '{"id":{},"method":"version"}'],
    ["array id", '{"id":[1],"method":"version"}'],
    ["method that is a number", '{"id":1,"method":42}'],
    ["method that is an object", '{"id":1,"method":{}}'],
  ];
  for (const [name, text] of dropped) {
    test(`${name}: ${JSON.stringify(text)}`, () => {
      assert.equal(decodeClientRequest(text), undefined);
    });
  }
});

describe("decodeClientRequest: requests", () => {
  test("a full request: the id as written, params as compact JSON text", () => {
    assert.deepEqual(
      decodeClientRequest('{"id":7,"method":"call.test.model.set","params":{ "foo" : "bar" }}'),
      { id: "7", method: "call.test.model.set", params: '{"foo":"bar"}' },
    );
  });

  test("id 0 is a valid id", () => {
    assert.deepEqual(decodeClientRequest('{"id":0,"method":"version"}'), {
      id: "0",
      method: "version",
      params: undefined,
    });
  });

  test("ids up to 2^64-1 are kept exactly", () => {
    const r = decodeClientRequest('{"id":18446744073709551615,"method":"version"}');
    assert.equal(r?.id, "18446744073709551615");
    assert.equal(decodeClientRequest('{"id":18446744073709551616,"method":"version"}'), undefined);
  });

  test("a missing method is the empty method", () => {
    assert.deepEqual(decodeClientRequest('{"id":1}'), { id: "1", method: "", params: undefined });
  });

  test("a null method is the empty method", () => {
    assert.equal(decodeClientRequest('{"id":1,"method":null}')?.method, "");
  });

  test("params of any JSON type are kept as their exact text", () => {
    assert.equal(decodeClientRequest('{"id":1,"method":"m","params":"x"}')?.params, '"x"');
    assert.equal(decodeClientRequest('{"id":1,"method":"m","params":null}')?.params, "null");
    assert.equal(decodeClientRequest('{"id":1,"method":"m","params":[1, 2.0]}')?.params, "[1,2.0]");
    assert.equal(decodeClientRequest('{"id":1,"method":"m","params":1e2}')?.params, "1e2");
  });

  test("unknown members and surrounding whitespace are ignored", () => {
    assert.deepEqual(decodeClientRequest(' \n{"jsonrpc":"2.0","id":3,"method":"version"}\t'), {
      id: "3",
      method: "version",
      params: undefined,
    });
  });

  test("an id written with a fraction or exponent gets no reply", () => {
    assert.equal(decodeClientRequest('{"id":1.0,"method":"version"}'), undefined);
    assert.equal(decodeClientRequest('{"id":1e2,"method":"version"}'), undefined);
  });

  test("member names are matched case-insensitively, as Go's encoding/json does", () => {
    assert.deepEqual(decodeClientRequest('{"ID":1,"Method":"version"}'), {
      id: "1",
      method: "version",
      params: undefined,
    });
  });

  test("nesting deeper than Go's limit of 10 000 gets no reply", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    assert.ok(decodeClientRequest(`{"id":1,"method":"m","params":${deep(9999)}}`));
    assert.equal(decodeClientRequest(`{"id":1,"method":"m","params":${deep(10001)}}`), undefined);
  });
});

describe("encodeResult", () => {
  test("with a result", () => {
    assert.equal(encodeResult(1, '{"protocol":"1.2.3"}'), '{"result":{"protocol":"1.2.3"},"id":1}');
  });

  test("with a primitive result", () => {
    assert.equal(encodeResult(12, "null"), '{"result":null,"id":12}');
    assert.equal(encodeResult(13, '"x"'), '{"result":"x","id":13}');
  });

  test("without result", () => {
    assert.equal(encodeResult(2, undefined), '{"id":2}');
  });

  test("id 0", () => {
    assert.equal(encodeResult(0, "{}"), '{"result":{},"id":0}');
  });
});

describe("encodeError", () => {
  test("without data", () => {
    assert.equal(
      encodeError(3, { code: "system.notFound", message: "Not found" }),
      '{"error":{"code":"system.notFound","message":"Not found"},"id":3}',
    );
  });

  test("with data", () => {
    assert.equal(
      encodeError(4, { code: "custom.error", message: "Custom", data: { foo: ["bar"] } }),
      '{"error":{"code":"custom.error","message":"Custom","data":{"foo":["bar"]}},"id":4}',
    );
  });

  test("null data is left out", () => {
    assert.equal(
      encodeError(5, { code: "custom.error", message: "Custom", data: null }),
      '{"error":{"code":"custom.error","message":"Custom"},"id":5}',
    );
  });

  test("falsy data other than null is kept", () => {
    assert.equal(
      encodeError(6, { code: "c", message: "m", data: 0 }),
      '{"error":{"code":"c","message":"m","data":0},"id":6}',
    );
    assert.equal(
      encodeError(7, { code: "c", message: "m", data: "" }),
      '{"error":{"code":"c","message":"m","data":""},"id":7}',
    );
  });

  test("a ResError is encoded with only code, message and data", () => {
    const err = new ResError("system.accessDenied", "Access denied");
    assert.equal(
      encodeError(8, err),
      '{"error":{"code":"system.accessDenied","message":"Access denied"},"id":8}',
    );
  });

  test("the message is escaped", () => {
    assert.equal(
      encodeErrorObject({ code: "c", message: 'say "hi"\n' }),
      '{"code":"c","message":"say \\"hi\\"\\n"}',
    );
  });
});

describe("encodeEvent", () => {
  test("with data", () => {
    assert.equal(
      encodeEvent("test.model", "change", '{"values":{"foo":"bar"}}'),
      '{"event":"test.model.change","data":{"values":{"foo":"bar"}}}',
    );
  });

  test("without data", () => {
    assert.equal(encodeEvent("test.model", "custom", undefined), '{"event":"test.model.custom"}');
  });

  test("null data is kept", () => {
    assert.equal(
      encodeEvent("test.model", "custom", "null"),
      '{"event":"test.model.custom","data":null}',
    );
  });

  test("a resource with a query", () => {
    assert.equal(
      encodeEvent("test.model?q=1", "remove", '{"idx":0}'),
      '{"event":"test.model?q=1.remove","data":{"idx":0}}',
    );
  });

  test("the event name is JSON-escaped", () => {
    assert.equal(
      encodeEvent('test.model?q="x"', "delete", undefined),
      '{"event":"test.model?q=\\"x\\".delete"}',
    );
  });
});
