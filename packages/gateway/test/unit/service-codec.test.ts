// RES-service codec: request bodies (Resgate's field order and omissions) and the
// decoding of get, access and call replies and change events.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ErrorCode, ResError, ValueType } from "@resgate-ts/protocol";
import {
  decodeAccessResponse,
  decodeCallResponse,
  decodeChangeEvent,
  decodeGetResponse,
  encodeGetRequest,
  encodeRequest,
  isLegacyChangeEvent,
  metaOf,
  jsonText,
} from "../../src/cache/service-codec.js";

const enc = new TextEncoder();

function bytes(text: string): Uint8Array {
  return enc.encode(text);
}

/** Asserts that `fn` throws a ResError with `code` and a message matching `message`. */
function resError(fn: () => unknown, code: string, message?: RegExp | string): ResError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ResError, `expected a ResError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  if (typeof message === "string") assert.equal(caught.message, message);
  else if (message) assert.match(caught.message, message);
  return caught;
}

function internal(fn: () => unknown, message?: RegExp | string): ResError {
  return resError(fn, ErrorCode.internalError, message ?? /^Internal error/);
}

describe("encodeRequest", () => {
  test("only a connection ID: the token is null", () => {
    assert.equal(
      encodeRequest({ cid: "c1", token: undefined, query: "", isHttp: false }),
      '{"token":null,"cid":"c1"}',
    );
  });

  test("every field, in Resgate's order", () => {
    assert.equal(
      encodeRequest({
        params: '{"a":1}',
        token: '{"u":1}',
        query: "q=1",
        cid: "c1",
        isHttp: false,
      }),
      '{"params":{"a":1},"token":{"u":1},"query":"q=1","cid":"c1"}',
    );
  });

  test("isHttp is only written when true, last", () => {
    assert.equal(
      encodeRequest({ params: "[1]", token: "null", query: "q=1", cid: "c2", isHttp: true }),
      '{"params":[1],"token":null,"query":"q=1","cid":"c2","isHttp":true}',
    );
    assert.equal(
      encodeRequest({ cid: "c3", token: undefined, query: "", isHttp: true }),
      '{"token":null,"cid":"c3","isHttp":true}',
    );
  });

  test("params are left out when undefined, kept when null", () => {
    assert.equal(
      encodeRequest({ params: undefined, cid: "c", token: '"t"', query: "", isHttp: false }),
      '{"token":"t","cid":"c"}',
    );
    assert.equal(
      encodeRequest({ params: "null", cid: "c", token: undefined, query: "", isHttp: false }),
      '{"params":null,"token":null,"cid":"c"}',
    );
  });

  test("the query and cid are JSON-escaped", () => {
    assert.equal(
      encodeRequest({ cid: 'c"1', token: undefined, query: 'a="b"&c=\\', isHttp: false }),
      '{"token":null,"query":"a=\\"b\\"&c=\\\\","cid":"c\\"1"}',
    );
  });

  test("the body is valid JSON", () => {
    const body = encodeRequest({
      params: '{"x":[1,{"y":null}]}',
      token: '{"id":42,"roles":["admin"]}',
      query: "limit=10",
      cid: "abc",
      isHttp: true,
    });
    assert.deepEqual(JSON.parse(body), {
      params: { x: [1, { y: null }] },
      token: { id: 42, roles: ["admin"] },
      query: "limit=10",
      cid: "abc",
      isHttp: true,
    });
  });
});

describe("encodeGetRequest", () => {
  test("without query", () => assert.equal(encodeGetRequest(""), "{}"));
  test("with query", () => assert.equal(encodeGetRequest("q=1&f=x"), '{"query":"q=1&f=x"}'));
});

describe("jsonText", () => {
  test("accepts valid JSON text and bytes, as they are", () => {
    assert.equal(jsonText('{"a":1}'), '{"a":1}');
    assert.equal(jsonText(bytes("[1]")), "[1]");
  });

  test("invalid JSON is an internal error", () => {
    internal(() => jsonText("{"));
    internal(() => jsonText(bytes("")));
    internal(() => jsonText(bytes("   ")));
  });
});

describe("decodeGetResponse", () => {
  test("a model", () => {
    const r = decodeGetResponse(
      bytes('{"result":{"model":{"name":"foo","n":42,"ref":{"rid":"test.other"}}}}'),
    );
    assert.equal(r.collection, undefined);
    assert.equal(r.query, "");
    assert.ok(r.model);
    assert.deepEqual([...r.model.keys()], ["name", "n", "ref"]);
    assert.equal(r.model.get("name")?.json, '"foo"');
    assert.equal(r.model.get("n")?.json, "42");
    assert.equal(r.model.get("ref")?.type, ValueType.reference);
    assert.equal(r.model.get("ref")?.rid, "test.other");
  });

  test("a collection", () => {
    const r = decodeGetResponse(bytes('{"result":{"collection":["a",{"data":[1]},null]}}'));
    assert.equal(r.model, undefined);
    assert.ok(r.collection);
    assert.deepEqual(
      r.collection.map((v) => v.type),
      [ValueType.primitive, ValueType.data, ValueType.primitive],
    );
  });

  test("an empty model and an empty collection", () => {
    assert.equal(decodeGetResponse(bytes('{"result":{"model":{}}}')).model?.size, 0);
    assert.equal(decodeGetResponse(bytes('{"result":{"collection":[]}}')).collection?.length, 0);
  });

  test("the query is returned", () => {
    assert.equal(decodeGetResponse(bytes('{"result":{"model":{},"query":"q=1"}}')).query, "q=1");
  });

  test("null model or collection next to the other is accepted", () => {
    assert.ok(decodeGetResponse(bytes('{"result":{"model":{"a":1},"collection":null}}')).model);
    assert.ok(decodeGetResponse(bytes('{"result":{"model":null,"collection":[1]}}')).collection);
  });

  test("a service error is thrown as is, with its data", () => {
    const err = resError(
      () =>
        decodeGetResponse(
          bytes('{"error":{"code":"custom.err","message":"Custom","data":{"x":1}}}'),
        ),
      "custom.err",
      "Custom",
    );
    assert.deepEqual(err.data, { x: 1 });
    resError(
      () => decodeGetResponse(bytes('{"error":{"code":"system.notFound","message":"Not found"}}')),
      ErrorCode.notFound,
      "Not found",
    );
  });

  test("the error wins over a result", () => {
    resError(
      () =>
        decodeGetResponse(
          bytes('{"result":{"model":{}},"error":{"code":"system.accessDenied","message":"No"}}'),
        ),
      ErrorCode.accessDenied,
    );
  });

  const invalid: readonly [string, string, RegExp | undefined][] = [
    ["invalid JSON", "{", undefined],
    ["empty payload", "", undefined],
    ["not an object", "[1]", undefined],
    ["a string", '"x"', undefined],
    ["null", "null", /response missing result/],
    ["no result", "{}", /response missing result/],
    ["null result", '{"result":null}', /response missing result/],
    ["result not an object", '{"result":42}', undefined],
    ["neither model nor collection", '{"result":{}}', /invalid service response/],
    [
      "both model and collection",
      '{"result":{"model":{},"collection":[]}}',
      /invalid service response/,
    ],
    ["model not an object", '{"result":{"model":[1]}}', undefined],
    ["collection not an array", '{"result":{"collection":{}}}', undefined],
    ["unwrapped object value", '{"result":{"model":{"a":{"b":1}}}}', /nested json object/],
    ["unwrapped array value", '{"result":{"collection":[[1]]}}', /nested json array/],
    ["invalid reference", '{"result":{"model":{"a":{"rid":"a..b"}}}}', /rid "a..b" is invalid/],
    [
      "delete action in model",
      '{"result":{"model":{"a":{"action":"delete"}}}}',
      /invalid service response/,
    ],
    [
      "delete action in collection",
      '{"result":{"collection":[{"action":"delete"}]}}',
      /invalid service response/,
    ],
    ["query not a string", '{"result":{"model":{},"query":1}}', undefined],
    ["error not an object", '{"error":42}', undefined],
    ["error code not a string", '{"error":{"code":1,"message":"m"}}', undefined],
  ];
  for (const [name, text, message] of invalid) {
    test(`${name} is an internal error`, () => {
      internal(() => decodeGetResponse(bytes(text)), message);
    });
  }
});

describe("decodeAccessResponse", () => {
  const access = (text: string) => decodeAccessResponse(bytes(text)).access;

  test("get and call", () => {
    assert.deepEqual(access('{"result":{"get":true,"call":"*"}}'), { get: true, call: "*" });
    assert.deepEqual(access('{"result":{"get":false,"call":"set,foo"}}'), {
      get: false,
      call: "set,foo",
    });
  });

  test("missing get and call mean no access", () => {
    assert.deepEqual(access('{"result":{}}'), { get: false, call: "" });
    assert.deepEqual(access('{"result":{"get":true}}'), { get: true, call: "" });
  });

  test("the meta object is returned with the result, and with a service error", () => {
    const r = decodeAccessResponse(
      bytes('{"result":{"get":true},"meta":{"status":302,"header":{"location":["/x"]}}}'),
    );
    assert.deepEqual(r.meta, { status: 302, header: { Location: ["/x"] } });
    const err = resError(
      () =>
        decodeAccessResponse(
          bytes('{"error":{"code":"system.forbidden","message":"No"},"meta":{"status":403}}'),
        ),
      ErrorCode.forbidden,
    );
    assert.deepEqual(metaOf(err), { status: 403, header: undefined });
    const missing = resError(
      () => decodeAccessResponse(bytes('{"meta":{"status":401}}')),
      ErrorCode.internalError,
    );
    assert.equal(metaOf(missing)?.status, 401);
  });

  test("a service error is thrown as is", () => {
    resError(
      () =>
        decodeAccessResponse(
          bytes('{"error":{"code":"system.accessDenied","message":"Access denied"}}'),
        ),
      ErrorCode.accessDenied,
      "Access denied",
    );
  });

  const invalid: readonly [string, string, RegExp | undefined][] = [
    ["invalid JSON", "nope", undefined],
    ["no result", "{}", /response missing result/],
    ["null result", '{"result":null}', /response missing result/],
    ["result not an object", '{"result":"yes"}', undefined],
    ["get not a boolean", '{"result":{"get":"true"}}', undefined],
    ["get a number", '{"result":{"get":1}}', undefined],
    ["call not a string", '{"result":{"get":true,"call":1}}', undefined],
    ["call an array", '{"result":{"call":["set"]}}', undefined],
  ];
  for (const [name, text, message] of invalid) {
    test(`${name} is an internal error`, () => {
      internal(() => decodeAccessResponse(bytes(text)), message);
    });
  }
});

describe("decodeCallResponse", () => {
  function call(text: string): { resultJson: string | undefined; rid: string | undefined } {
    const r = decodeCallResponse(bytes(text));
    return { resultJson: r.resultJson, rid: r.rid };
  }

  test("a result is returned as JSON text", () => {
    assert.deepEqual(call('{"result":{"a":[1,2]}}'), { resultJson: '{"a":[1,2]}', rid: undefined });
    assert.deepEqual(call('{"result":"ok"}'), { resultJson: '"ok"', rid: undefined });
  });

  test("a null result is a result", () => {
    assert.deepEqual(call('{"result":null}'), { resultJson: "null", rid: undefined });
  });

  test("a resource response", () => {
    assert.deepEqual(call('{"resource":{"rid":"test.model.42"}}'), {
      resultJson: undefined,
      rid: "test.model.42",
    });
    assert.deepEqual(call('{"resource":{"rid":"test.c?q=1"}}'), {
      resultJson: undefined,
      rid: "test.c?q=1",
    });
  });

  test("a service error is thrown as is", () => {
    resError(
      () => decodeCallResponse(bytes('{"error":{"code":"system.invalidParams","message":"Bad"}}')),
      ErrorCode.invalidParams,
      "Bad",
    );
    resError(
      () => decodeCallResponse(bytes('{"result":1,"error":{"code":"custom.x","message":"X"}}')),
      "custom.x",
    );
  });

  const invalid: readonly [string, string, RegExp | undefined][] = [
    ["invalid JSON", "{]", undefined],
    ["no result", "{}", /response missing result/],
    ["null", "null", /response missing result/],
    ["not an object", "[]", undefined],
    ["resource not an object", '{"resource":"test.model"}', undefined],
    ["resource without rid", '{"resource":{}}', /invalid service response/],
    ["resource with empty rid", '{"resource":{"rid":""}}', /invalid service response/],
    ["resource with invalid rid", '{"resource":{"rid":"test..model"}}', /invalid service response/],
    ["resource with rid not a string", '{"resource":{"rid":42}}', /invalid service response/],
  ];
  for (const [name, text, message] of invalid) {
    test(`${name} is an internal error`, () => {
      internal(() => decodeCallResponse(bytes(text)), message);
    });
  }
});

describe("isLegacyChangeEvent (Resgate's TestIsLegacyChangeEvent table)", () => {
  // The table's payloads as text; the function takes the parsed payload.
  const table: readonly [string, boolean][] = [
    ['"foo"', false], // Broken event
    ['{ "foo": "bar", "faz": 42 }', true], // Multiple values
    ['{ "values": {"action": "delete"}, "faz": 42 }', true], // Multiple values with delete action
    ['{ "values": {"rid": "example.bar"}, "faz": 42 }', true], // Multiple values with resource reference
    ['{ "values": {"foo": "bar"}, "faz": 42 }', true], // Invalid multiple values
    ['{ "foo": "bar" }', true], // Single value
    ['{ "values": "bar" }', true], // Single value named values
    [' { "values": "bar" }', true], // Single value named values with leading whitespace
    ['\t\r\n { "values": "bar" }', true], // Single value named values with all types of whitespace
    ['{ "values": { "foo": "bar" }}', false], // Non-legacy with single value
    ['{ "values": { "foo": "bar", "faz": 42 }}', false], // Non-legacy with multiple values
    [' { "values": { "foo": "bar" }}', false], // Non-legacy with single value with leading whitespace
    // The ones below are the only false negatives
    ['{ "values": { "action": "delete" }}', false], // Legacy with delete action
    ['{ "values": { "rid": "example.foo" }}', false], // Legacy with resource reference
  ];
  for (const [payload, expected] of table) {
    test(`${payload.trim()} -> ${expected}`, () => {
      assert.equal(isLegacyChangeEvent(payload), expected);
    });
  }

  test("broken JSON ( [}) cannot be parsed, so it is never a change event", () => {
    internal(() => jsonText(" [}"));
  });

  test("further payloads", () => {
    assert.equal(isLegacyChangeEvent(JSON.stringify(null)), false);
    assert.equal(isLegacyChangeEvent(JSON.stringify(42)), false);
    assert.equal(isLegacyChangeEvent(JSON.stringify([])), false);
    assert.equal(isLegacyChangeEvent(JSON.stringify({})), true);
    assert.equal(isLegacyChangeEvent(JSON.stringify({ values: null })), true);
    assert.equal(isLegacyChangeEvent(JSON.stringify({ values: [1] })), true);
    assert.equal(isLegacyChangeEvent(JSON.stringify({ values: {} })), false);
  });
});

describe("decodeChangeEvent", () => {
  test("values, with delete actions", () => {
    const values = decodeChangeEvent(JSON.stringify({ values: { a: 1, b: { action: "delete" } } }));
    assert.deepEqual([...values.keys()], ["a", "b"]);
    assert.equal(values.get("a")?.json, "1");
    assert.equal(values.get("b")?.type, ValueType.delete);
  });

  test("a legacy (v1.0) change event", () => {
    const values = decodeChangeEvent(JSON.stringify({ foo: "bar", n: 2 }));
    assert.equal(values.get("foo")?.json, '"bar"');
    assert.equal(values.get("n")?.json, "2");
  });

  test("an invalid value is an internal error", () => {
    internal(
      () => decodeChangeEvent(JSON.stringify({ values: { a: { b: 1 } } })),
      /nested json object/,
    );
  });
});
