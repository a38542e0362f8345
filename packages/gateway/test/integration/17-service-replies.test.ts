// Hostile and invalid service replies to get and access requests, and pre-responses
// that extend a request's timeout. Resgate's rules: server/codec/codec.go
// (DecodeGetResponse, DecodeAccessResponse, Value.UnmarshalJSON) and nats/nats.go
// (a reply whose first byte is a letter is a pre-response; `timeout:"ms"` in it sets
// a new deadline). After each, the gateway keeps working.
import assert from "node:assert/strict";
import { after, before, describe, test, type TestContext } from "node:test";
import { TestEnv } from "../support/env.js";
import {
  Err,
  MODEL,
  assertExpected,
  assertResult,
  assertStillWorks,
  connectVersion,
  sleep,
  type Expected,
} from "../support/request-basics-helpers.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

const internal: Expected = { code: Err.internalError.code };
const missingResult: Expected = { error: Err.missingResult };
const invalidResponse: Expected = { error: Err.invalidResponse };
const timeout: Expected = { error: Err.timeout };
const endOfInput: Expected = {
  error: { code: "system.internalError", message: "Internal error: unexpected end of JSON input" },
};
const model = (m: unknown) => (rid: string) => ({ result: { models: { [rid]: m } } });
const okModel = model(MODEL);

type Case = [name: string, reply: string, expected: Expected | ((rid: string) => Expected)];

const getCases: Case[] = [
  ["invalid JSON", '{"invalid":JSON}', internal],
  ["an empty reply", "", endOfInput],
  ["neither result nor error", '{"invalid":"response"}', missingResult],
  ["an empty object", "{}", missingResult],
  ["result null", '{"result":null}', missingResult],
  ["result {}", '{"result":{}}', invalidResponse],
  ["model null", '{"result":{"model":null}}', invalidResponse],
  ["result an array", '{"result":[]}', internal],
  ["result a string", '{"result":"model"}', internal],
  ["a model that is an array", '{"result":{"model":["with","array","data"]}}', internal],
  ["a model that is a string", '{"result":{"model":"foo"}}', internal],
  ["a collection that is an object", '{"result":{"collection":{"with":"model data"}}}', internal],
  ["a collection that is a number", '{"result":{"collection":5}}', internal],
  [
    "both model and collection",
    '{"result":{"model":{"foo":"bar"},"collection":[1,2,3]}}',
    invalidResponse,
  ],
  ["a nested array in a model", '{"result":{"model":{"array":[1,2]}}}', internal],
  ["a nested object in a model", '{"result":{"model":{"prop":{"unknown":"property"}}}}', internal],
  ["a nested empty object in a model", '{"result":{"model":{"prop":{}}}}', internal],
  [
    "a delete action in a model",
    '{"result":{"model":{"prop":{"action":"delete"}}}}',
    invalidResponse,
  ],
  ["an unknown action in a model", '{"result":{"model":{"prop":{"action":"unknown"}}}}', internal],
  ["a reference with rid false", '{"result":{"model":{"child":{"rid":false}}}}', internal],
  ["a reference with rid 42", '{"result":{"model":{"child":{"rid":42}}}}', internal],
  ["a reference with an empty rid", '{"result":{"model":{"child":{"rid":""}}}}', internal],
  ["a reference with an invalid rid", '{"result":{"model":{"child":{"rid":"a b"}}}}', internal],
  ["a reference with a wildcard rid", '{"result":{"model":{"child":{"rid":"a.*"}}}}', internal],
  ["a reference with data", '{"result":{"model":{"child":{"rid":"a.b","data":1}}}}', internal],
  [
    "a reference with an action",
    '{"result":{"model":{"child":{"rid":"a.b","action":"delete"}}}}',
    internal,
  ],
  ["an action with data", '{"result":{"model":{"child":{"action":"delete","data":1}}}}', internal],
  [
    "soft that is not a boolean",
    '{"result":{"model":{"child":{"rid":"a.b","soft":"yes"}}}}',
    internal,
  ],
  ["a nested array in a collection", '{"result":{"collection":["array",[1,2]]}}', internal],
  [
    "a delete action in a collection",
    '{"result":{"collection":["prop",{"action":"delete"}]}}',
    invalidResponse,
  ],
  [
    "an unknown action in a collection",
    '{"result":{"collection":["prop",{"action":"unknown"}]}}',
    internal,
  ],
  [
    "a nested object in a collection",
    '{"result":{"collection":["prop",{"unknown":"property"}]}}',
    internal,
  ],
  ["a reference with rid 5 in a collection", '{"result":{"collection":[{"rid":5}]}}', internal],
  ["a query that is not a string", '{"result":{"model":{"a":1},"query":5}}', internal],
  ["an error that is an array", '{"error":[]}', internal],
  ["an error that is a string", '{"error":"failed"}', internal],
  ["an error that is false", '{"error":false}', internal],
  ["an error with an integer code", '{"error":{"code":12,"message":"integer code"}}', internal],
  ["an error with a non-string message", '{"error":{"code":"x.y","message":5}}', internal],
  [
    "an error without code",
    '{"error":{"message":"missing code"}}',
    { error: { code: "", message: "missing code" } },
  ],
  [
    "an error without message",
    '{"error":{"code":"custom.error"}}',
    { error: { code: "custom.error", message: "" } },
  ],
  [
    "an error with data",
    '{"error":{"code":"custom.error","message":"Custom","data":{"foo":["bar"],"n":1}}}',
    { error: { code: "custom.error", message: "Custom", data: { foo: ["bar"], n: 1 } } },
  ],
  [
    "an error with data null",
    '{"error":{"code":"custom.error","message":"Custom","data":null}}',
    { error: { code: "custom.error", message: "Custom" } },
  ],
  [
    "an error and a result: the error wins",
    '{"error":{"code":"system.notFound","message":"Not found"},"result":{"model":{}}}',
    { error: Err.notFound },
  ],
  ["error null and a result", '{"error":null,"result":{"model":{"a":1}}}', model({ a: 1 })],
  ["a bare null (a pre-response: then a timeout)", "null", timeout],
  ["a bare true (a pre-response: then a timeout)", "true", timeout],
  ["a bare false (a pre-response: then a timeout)", "false", timeout],
  ["a bare number", "42", internal],
  ["a bare negative number", "-1", internal],
  ["a bare string", '"model"', internal],
  ["a bare array", "[]", internal],
  ["null after whitespace (not a pre-response)", " null", missingResult],
  [
    "whitespace around the JSON",
    '\r\n \t{ "result":\t \r\n{"model":{"a":1}}\t} \t\n',
    model({ a: 1 }),
  ],
  ["an empty model", '{"result":{"model":{}}}', model({})],
  [
    "an empty collection",
    '{"result":{"collection":[]}}',
    (rid) => ({ result: { collections: { [rid]: [] } } }),
  ],
  [
    "a collection null beside a model",
    '{"result":{"model":{"a":1},"collection":null}}',
    model({ a: 1 }),
  ],
  [
    "unknown members",
    '{"result":{"model":{"a":1},"extra":1},"meta":{"status":500},"foo":"bar"}',
    model({ a: 1 }),
  ],
  [
    "data values wrapping null and objects",
    '{"result":{"model":{"n":{"data":null},"o":{"data":{"a":[1]}}}}}',
    model({ n: null, o: { data: { a: [1] } } }),
  ],
];

const accessCases: Case[] = [
  ["invalid JSON", '{"invalid":JSON}', internal],
  ["an empty reply", "", endOfInput],
  ["neither result nor error", '{"invalid":"response"}', missingResult],
  ["an empty object", "{}", missingResult],
  ["result null", '{"result":null}', missingResult],
  ["result {}", '{"result":{}}', { error: Err.accessDenied }],
  ["get null", '{"result":{"get":null}}', { error: Err.accessDenied }],
  ["get false with call *", '{"result":{"get":false,"call":"*"}}', { error: Err.accessDenied }],
  ["get a string", '{"result":{"get":"foo"}}', internal],
  ["get 1", '{"result":{"get":1}}', internal],
  ["call a number", '{"result":{"get":true,"call":5}}', internal],
  ["result an array", '{"result":[]}', internal],
  ["result true", '{"result":true}', internal],
  ["an error that is an array", '{"error":[]}', internal],
  ["an error with an integer code", '{"error":{"code":12,"message":"integer code"}}', internal],
  [
    "an error without code",
    '{"error":{"message":"nope"}}',
    { error: { code: "", message: "nope" } },
  ],
  [
    "an error with data",
    '{"error":{"code":"custom.denied","message":"Custom","data":{"a":1}}}',
    { error: { code: "custom.denied", message: "Custom", data: { a: 1 } } },
  ],
  [
    "an error and a result: the error wins",
    '{"error":{"code":"system.accessDenied","message":"Access denied"},"result":{"get":true}}',
    { error: Err.accessDenied },
  ],
  ["a bare null (a pre-response: then a timeout)", "null", timeout],
  ["a bare true (a pre-response: then a timeout)", "true", timeout],
  ["a bare number", "42", internal],
  ["a bare string", '"yes"', internal],
  ["whitespace around the JSON", '\r\n \t{"result":{"get":\ttrue}}\n', okModel],
  ["unknown members", '{"result":{"get":true,"foo":1},"bar":2}', okModel],
  [
    "meta status 200 (ignored on WebSocket)",
    '{"result":{"get":true},"meta":{"status":200}}',
    okModel,
  ],
  [
    "meta status 403 (ignored on WebSocket)",
    '{"result":{"get":true},"meta":{"status":403}}',
    okModel,
  ],
  ["meta null", '{"result":{"get":true},"meta":null}', okModel],
];

/** Go's DecodeAccessResponse decodes meta too: a malformed one fails the whole reply. */
const malformedMeta: Case[] = [
  ["meta status a string", '{"result":{"get":true},"meta":{"status":"x"}}', internal],
  [
    "meta header value not an array",
    '{"result":{"get":true},"meta":{"header":{"X":"y"}}}',
    internal,
  ],
  ["meta a number", '{"result":{"get":true},"meta":5}', internal],
];

async function runReply(
  t: TestContext,
  o: { method: "subscribe" | "get"; target: "get" | "access"; reply: string; expected: Case[2] },
): Promise<void> {
  const rid = `${env.prefix()}.model`;
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`${o.method}.${rid}`);
  const access = await env.service.next(`access.${rid}`);
  const get = await env.service.next(`get.${rid}`);
  if (o.target === "get") {
    access.access(true);
    get.respondRaw(o.reply);
  } else {
    access.respondRaw(o.reply);
    get.model(MODEL);
  }
  const expected = typeof o.expected === "function" ? o.expected(rid) : o.expected;
  assertExpected(await c.response(id, 4000), expected);
  await assertStillWorks(env, c);
}

for (const method of ["subscribe", "get"] as const) {
  describe(`${method}: get replies`, { concurrency: true }, () => {
    for (const [name, reply, expected] of getCases) {
      test(name, (t) => runReply(t, { method, target: "get", reply, expected }));
    }
  });
  describe(`${method}: access replies`, { concurrency: true }, () => {
    for (const [name, reply, expected] of accessCases) {
      test(name, (t) => runReply(t, { method, target: "access", reply, expected }));
    }
    for (const [name, reply, expected] of malformedMeta) {
      test(name, {}, (t) => runReply(t, { method, target: "access", reply, expected }));
    }
  });
}

test("number literals in a model reach the client verbatim", {}, async (t) => {
  const rid = `${env.prefix()}.model`;
  env.service.handle(`access.${rid}`, (r) => r.access(true));
  env.service.handle(`get.${rid}`, (r) =>
    r.respondRaw(`{"result":{"model":{"big":12345678901234567890,"float":1.0,"exp":1e2}}}`),
  );
  const c = await connectVersion(env, t);
  await c.request(`subscribe.${rid}`);
  const frame = c.frames.at(-1) ?? "";
  for (const part of ['"big":12345678901234567890', '"float":1.0', '"exp":1e2']) {
    assert.ok(frame.includes(part), `${part} in ${frame}`);
  }
});

test(
  "reply member names match case-insensitively, as Go's encoding/json matches them",
  {},
  async (t) => {
    const rid = `${env.prefix()}.model`;
    env.service.handle(`access.${rid}`, (r) => r.respondRaw('{"RESULT":{"GET":true}}'));
    env.service.handle(`get.${rid}`, (r) => r.respondRaw('{"Result":{"Model":{"a":1}}}'));
    const c = await connectVersion(env, t);
    assertResult(await c.request(`subscribe.${rid}`), { models: { [rid]: { a: 1 } } });
  },
);

function nested(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

test("a data value nested 5000 deep is passed on (Go decodes up to depth 10000)", async (t) => {
  const rid = `${env.prefix()}.model`;
  env.service.handle(`access.${rid}`, (r) => r.access(true));
  env.service.handle(`get.${rid}`, (r) =>
    r.respondRaw(`{"result":{"model":{"deep":{"data":${nested(5000)}}}}}`),
  );
  const c = await connectVersion(env, t);
  // Compared as text: a recursive deep-equal would run out of stack itself.
  const id = c.sendRequest(`subscribe.${rid}`);
  await c.response(id);
  const frame = c.frames[c.frames.length - 1];
  assert.equal(
    frame,
    `{"result":{"models":{${JSON.stringify(rid)}:{"deep":{"data":${nested(5000)}}}}},"id":${id}}`,
  );
  await assertStillWorks(env, c);
});

test("a reply nested beyond depth 10000 is system.internalError and breaks nothing", async (t) => {
  const rid = `${env.prefix()}.model`;
  env.service.handle(`access.${rid}`, (r) => r.access(true));
  env.service.handle(`get.${rid}`, (r) =>
    r.respondRaw(`{"result":{"model":{"deep":{"data":${nested(200000)}}}}}`),
  );
  const c = await connectVersion(env, t);
  const r = await c.request(`subscribe.${rid}`);
  assertExpected(r, internal);
  await assertStillWorks(env, c);
});

// ---- pre-responses ---------------------------------------------------------------------------

/** Subscribes with the access request answered at once; returns the pending get request. */
async function subscribeHoldingGet(t: TestContext) {
  const rid = `${env.prefix()}.model`;
  env.service.handle(`access.${rid}`, (r) => r.access(true));
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`subscribe.${rid}`);
  const get = await env.service.next(`get.${rid}`);
  return { rid, c, id, get, sent: Date.now() };
}

describe("pre-responses", { concurrency: true }, () => {
  test('timeout:"3000" lets a get reply come after the 1000 ms request timeout', async (t) => {
    const { rid, c, id, get } = await subscribeHoldingGet(t);
    get.timeout(3000);
    await sleep(1500);
    get.model(MODEL);
    assertResult(await c.response(id), { models: { [rid]: MODEL } });
    await assertStillWorks(env, c);
  });

  test('timeout:"3000" on an access request lets its reply come after 1000 ms', async (t) => {
    const rid = `${env.prefix()}.model`;
    env.service.handle(`get.${rid}`, (r) => r.model(MODEL));
    const c = await connectVersion(env, t);
    const id = c.sendRequest(`subscribe.${rid}`);
    const access = await env.service.next(`access.${rid}`);
    access.timeout(3000);
    await sleep(1500);
    access.access(true);
    assertResult(await c.response(id), { models: { [rid]: MODEL } });
  });

  test("pre-responses may extend the deadline again", async (t) => {
    const { rid, c, id, get } = await subscribeHoldingGet(t);
    get.timeout(1500);
    await sleep(1200);
    get.timeout(1500);
    await sleep(1000);
    get.model(MODEL);
    assertResult(await c.response(id), { models: { [rid]: MODEL } });
  });

  test('timeout:"200" shortens the deadline', async (t) => {
    const { c, id, get } = await subscribeHoldingGet(t);
    const at = Date.now();
    get.timeout(200);
    const r = await c.response(id);
    const took = Date.now() - at;
    assertExpected(r, timeout);
    assert.ok(took >= 150 && took < 800, `timed out after ${took} ms`);
  });

  test('timeout:"0" ends the request at once', async (t) => {
    const { c, id, get } = await subscribeHoldingGet(t);
    const at = Date.now();
    get.respondRaw('timeout:"0"');
    assertExpected(await c.response(id), timeout);
    assert.ok(Date.now() - at < 500, `timed out after ${Date.now() - at} ms`);
  });

  test("without a pre-response, a reply after the request timeout is too late", async (t) => {
    const { c, id, get, sent } = await subscribeHoldingGet(t);
    const r = await c.response(id);
    assertExpected(r, timeout);
    assert.ok(Date.now() - sent >= 900, "not before the request timeout");
    get.model(MODEL);
    await sleep(50);
    await assertStillWorks(env, c);
  });

  for (const [name, text] of [
    ["a pre-response without a timeout key", 'foo:"bar"'],
    ["a timeout that is not a number", 'timeout:"abc"'],
    ["a capitalized key", 'Timeout:"3000"'],
  ] as const) {
    test(`${name} (${text}) is ignored: no error, no extension`, async (t) => {
      const { rid, c, id, get } = await subscribeHoldingGet(t);
      get.respondRaw(text);
      await sleep(200);
      get.model(MODEL);
      assertResult(await c.response(id), { models: { [rid]: MODEL } });

      const late = await subscribeHoldingGet(t);
      late.get.respondRaw(text);
      const r = await late.c.response(late.id);
      assertExpected(r, timeout);
      const took = Date.now() - late.sent;
      assert.ok(took >= 900 && took < 1600, `timed out after ${took} ms`);
    });
  }

  test("a pre-response after whitespace is not one: the reply is invalid JSON", async (t) => {
    const { c, id, get } = await subscribeHoldingGet(t);
    get.respondRaw(' timeout:"3000"');
    assertExpected(await c.response(id, 800), internal);
  });
});

test("after every hostile reply, a new client is served normally", async (t) => {
  const c = await connectVersion(env, t);
  await assertStillWorks(env, c);
});
