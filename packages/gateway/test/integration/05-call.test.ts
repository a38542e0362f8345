// Call requests: call access, the call request payload, result and resource
// responses for current and legacy clients, service errors and pre-responses
// (Resgate's test/04call_test.go, server/wsConn.go, server/codec/codec.go).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  COLLECTION,
  MODEL,
  assertNoRequest,
  body,
  connectVersion,
  expectEvent,
  getCid,
  noRequestSoon,
  sleep,
  subscribe,
  subscribeParent,
} from "../support/calls-helpers.js";
import { TestEnv } from "../support/env.js";
import type { ServiceRequest } from "../support/service.js";
import type { Response, TestClient } from "../support/ws-client.js";

const REQUEST_TIMEOUT = 500;

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({
    config: { requestTimeout: REQUEST_TIMEOUT },
  });
});
after(async () => {
  await env.stop();
});

const accessDenied = { code: "system.accessDenied", message: "Access denied" };
const timeoutError = { code: "system.timeout", message: "Request timeout" };
const invalidParams = { code: "system.invalidParams", message: "Invalid parameters" };
const customError = { code: "custom.error", message: "Custom error" };

const FULL = '{"result":{"get":true,"call":"*"}}';
const NO_CALL = '{"result":{"get":true}}';
const DENIED = '{"error":{"code":"system.accessDenied","message":"Access denied"}}';
const INTERNAL = '{"error":{"code":"system.internalError","message":"Internal error"}}';

/** A service reply as raw text, or "timeout" for none at all. */
type Reply = string;

function answer(req: ServiceRequest, reply: Reply): void {
  if (reply !== "timeout") req.respondRaw(reply);
}

/**
 * What the client gets: a result, an error object, or a system.internalError (with
 * Resgate's exact message when that message is a constant, else just the code).
 */
type Expected = { result: unknown } | { error: unknown } | { internal: string | undefined };

async function expectResponse(c: TestClient, id: number, expected: Expected): Promise<void> {
  const r: Response = await c.response(id);
  if ("internal" in expected) {
    assert.equal("result" in r, false, `unexpected result: ${JSON.stringify(r)}`);
    assert.equal(r.error?.code, "system.internalError", JSON.stringify(r));
    if (expected.internal === undefined) assert.match(r.error.message, /^Internal error/);
    else assert.deepEqual(r.error, { code: "system.internalError", message: expected.internal });
    return;
  }
  assert.deepEqual(r, { id, ...expected });
}

// ---- the requests --------------------------------------------------------------

test("call sends an access request, then the call request with params, token and cid", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.model.method`, { value: 42 });
  const access = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(access), { token: null, cid: access.cid });
  access.access(true, "*");
  const call = await env.service.next(`call.${p}.model.method`);
  assert.deepEqual(body(call), { params: { value: 42 }, token: null, cid: access.cid });
  call.result({ foo: "bar" });
  assert.deepEqual(await c.response(id), { id, result: { payload: { foo: "bar" } } });
  assert.equal(c.frames.at(-1), `{"result":{"payload":{"foo":"bar"}},"id":${id}}`);
});

test("call without params sends params null", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.model.method`);
  const access = await env.service.next(`access.${p}.model`);
  access.access(true, "*");
  const call = await env.service.next(`call.${p}.model.method`);
  assert.deepEqual(body(call), { params: null, token: null, cid: access.cid });
  call.result(null);
  assert.deepEqual(await c.response(id), { id, result: { payload: null } });
});

test("call with params null sends params null", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.model.method`, null);
  const access = await env.service.next(`access.${p}.model`);
  access.access(true, "*");
  const call = await env.service.next(`call.${p}.model.method`);
  assert.deepEqual(body(call), { params: null, token: null, cid: access.cid });
  call.result(1);
  assert.deepEqual(await c.response(id), { id, result: { payload: 1 } });
});

test("call on a query resource sends the query in the access and call requests", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.model?q=foo&f=bar.method`, { a: 1 });
  const access = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(access), { token: null, query: "q=foo&f=bar", cid: access.cid });
  access.access(true, "method");
  const call = await env.service.next(`call.${p}.model.method`);
  assert.deepEqual(body(call), {
    params: { a: 1 },
    token: null,
    query: "q=foo&f=bar",
    cid: access.cid,
  });
  call.result("ok");
  assert.deepEqual(await c.response(id), { id, result: { payload: "ok" } });
});

test("call replaces the {cid} placeholder with the connection ID", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  const id = c.sendRequest(`call.${p}.{cid}.model.method`, { foo: "bar" });
  const access = await env.service.next(`access.${p}.${cid}.model`);
  assert.deepEqual(body(access), { token: null, cid });
  access.access(true, "*");
  const call = await env.service.next(`call.${p}.${cid}.model.method`);
  assert.deepEqual(body(call), { params: { foo: "bar" }, token: null, cid });
  call.result("zoo");
  assert.deepEqual(await c.response(id), { id, result: { payload: "zoo" } });
});

test("a call method too long for a NATS subject gets system.subjectTooLong after access", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.${"a".repeat(10000)}`);
  (await env.service.next(`access.${p}`)).access(true, "*");
  assert.deepEqual(await c.response(id), {
    id,
    error: { code: "system.subjectTooLong", message: "Subject too long" },
  });
});

test("a resource ID too long for a NATS subject gets system.subjectTooLong", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.${"a".repeat(10000)}.method`);
  assert.deepEqual(await c.response(id), {
    id,
    error: { code: "system.subjectTooLong", message: "Subject too long" },
  });
});

// ---- call access ---------------------------------------------------------------

const accessCases: { name: string; access: Reply; call: boolean; expected: Expected }[] = [
  { name: 'call "*"', access: FULL, call: true, expected: { result: { payload: "ok" } } },
  {
    name: 'call "method"',
    access: '{"result":{"get":true,"call":"method"}}',
    call: true,
    expected: { result: { payload: "ok" } },
  },
  {
    name: 'call "foo,method"',
    access: '{"result":{"get":true,"call":"foo,method"}}',
    call: true,
    expected: { result: { payload: "ok" } },
  },
  {
    name: 'call "method,foo"',
    access: '{"result":{"get":true,"call":"method,foo"}}',
    call: true,
    expected: { result: { payload: "ok" } },
  },
  {
    name: "call access without get access",
    access: '{"result":{"get":false,"call":"*"}}',
    call: true,
    expected: { result: { payload: "ok" } },
  },
  {
    name: 'call "foo,bar" (method missing)',
    access: '{"result":{"get":true,"call":"foo,bar"}}',
    call: false,
    expected: { error: accessDenied },
  },
  {
    name: 'call "foo, method" (no trimming)',
    access: '{"result":{"get":true,"call":"foo, method"}}',
    call: false,
    expected: { error: accessDenied },
  },
  {
    name: 'call "meth" (no prefix match)',
    access: '{"result":{"get":true,"call":"meth"}}',
    call: false,
    expected: { error: accessDenied },
  },
  {
    name: 'call ""',
    access: '{"result":{"get":true,"call":""}}',
    call: false,
    expected: { error: accessDenied },
  },
  { name: "no call member", access: NO_CALL, call: false, expected: { error: accessDenied } },
  {
    name: "call null",
    access: '{"result":{"get":true,"call":null}}',
    call: false,
    expected: { error: accessDenied },
  },
  { name: "access denied error", access: DENIED, call: false, expected: { error: accessDenied } },
  {
    name: "result and error: the error wins",
    access:
      '{"result":{"get":true,"call":"*"},"error":{"code":"custom.error","message":"Custom error"}}',
    call: false,
    expected: { error: customError },
  },
  {
    name: "custom access error",
    access: '{"error":{"code":"custom.error","message":"Custom error"}}',
    call: false,
    expected: { error: customError },
  },
  { name: "access timeout", access: "timeout", call: false, expected: { error: timeoutError } },
  {
    name: "get not a boolean",
    access: '{"result":{"get":"invalid"}}',
    call: false,
    expected: { internal: undefined },
  },
  {
    name: "broken JSON",
    access: '{"broken":JSON}',
    call: false,
    expected: { internal: undefined },
  },
  {
    name: "no result",
    access: "{}",
    call: false,
    expected: { internal: "Internal error: response missing result" },
  },
  {
    name: "member names in another case (Go's JSON matches them case-insensitively)",
    access: '{"Result":{"GET":true,"Call":"*"}}',
    call: true,
    expected: { result: { payload: "ok" } },
  },
  {
    name: "whitespace around valid JSON",
    access: '\r\n\t {"result":\r\n\t {"get":\r\n\t true,"call":"*"}}\r\n\t ',
    call: true,
    expected: { result: { payload: "ok" } },
  },
];

for (const tc of accessCases) {
  test(`call access: ${tc.name}`, async (t) => {
    const p = env.prefix();
    const c = await connectVersion(env, t);
    const id = c.sendRequest(`call.${p}.model.method`);
    answer(await env.service.next(`access.${p}.model`), tc.access);
    if (tc.call) (await env.service.next(`call.${p}.model.method`)).result("ok");
    await expectResponse(c, id, tc.expected);
    if (!tc.call) assertNoRequest(env, `call.${p}.model.method`);
  });
}

test("call on a resource the client does not subscribe to asks for access every time", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  for (let i = 0; i < 2; i++) {
    const id = c.sendRequest(`call.${p}.model.method`);
    (await env.service.next(`access.${p}.model`)).access(true, "*");
    (await env.service.next(`call.${p}.model.method`)).result(i);
    assert.deepEqual(await c.response(id), { id, result: { payload: i } });
  }
  assert.equal(env.service.requests(`access.${p}.model`).length, 2);
});

test("call on a subscribed resource reuses the subscription's access", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await subscribe(env, c, `${p}.model`, {
    model: MODEL,
    access: { get: true, call: "*" },
  });
  for (let i = 0; i < 2; i++) {
    const id = c.sendRequest(`call.${p}.model.method`, { value: i });
    const call = await env.service.next(`call.${p}.model.method`);
    assert.deepEqual(body(call), { params: { value: i }, token: null, cid });
    call.result({ foo: "bar" });
    assert.deepEqual(await c.response(id), { id, result: { payload: { foo: "bar" } } });
  }
  assert.equal(env.service.requests(`access.${p}.model`).length, 1);
});

test("call on a subscribed resource without call access is denied without requests", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL, access: { get: true, call: "other" } });
  const r = await c.request(`call.${p}.model.method`);
  assert.deepEqual(r, { id: r.id, error: accessDenied });
  assert.equal(env.service.requests(`access.${p}.model`).length, 1);
  assertNoRequest(env, `call.${p}.model.method`);
});

test("a call while the subscription's access request is out shares that request", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  const sid = c.sendRequest(`subscribe.${rid}`);
  const access = await env.service.next(`access.${rid}`);
  const get = await env.service.next(`get.${rid}`);
  const id = c.sendRequest(`call.${rid}.method`);
  await noRequestSoon(env, `access.${rid}`);
  access.access(true, "*");
  get.model(MODEL);
  assert.deepEqual(await c.response(sid), { id: sid, result: { models: { [rid]: MODEL } } });
  (await env.service.next(`call.${rid}.method`)).result("ok");
  assert.deepEqual(await c.response(id), { id, result: { payload: "ok" } });
  assert.equal(env.service.requests(`access.${rid}`).length, 1);
});

// Two calls on an indirectly subscribed resource: an access result or an access
// denial is kept for the second call ("none": no access request expected), any
// other access error is asked again.
const ok = { result: { payload: { foo: "bar" } } };
const accessRounds: [Reply, Expected, Reply, Expected][] = [
  [FULL, ok, "none", ok],
  [NO_CALL, { error: accessDenied }, "none", { error: accessDenied }],
  [DENIED, { error: accessDenied }, "none", { error: accessDenied }],
  ["timeout", { error: timeoutError }, FULL, ok],
  ["timeout", { error: timeoutError }, "timeout", { error: timeoutError }],
  ["timeout", { error: timeoutError }, DENIED, { error: accessDenied }],
  [INTERNAL, { internal: "Internal error" }, FULL, ok],
  [INTERNAL, { internal: "Internal error" }, "timeout", { error: timeoutError }],
  [INTERNAL, { internal: "Internal error" }, DENIED, { error: accessDenied }],
];

for (const [i, [first, firstExpected, second, secondExpected]] of accessRounds.entries()) {
  test(`call after an earlier access reply on an indirect subscription #${i + 1}`, async (t) => {
    const p = env.prefix();
    const c = await connectVersion(env, t);
    await subscribeParent(env, c, { parent: `${p}.model.parent`, child: `${p}.model` });
    const rounds: [Reply, Expected][] = [
      [first, firstExpected],
      [second, secondExpected],
    ];
    for (const [reply, expected] of rounds) {
      const calls = env.service.requests(`call.${p}.model.method`).length;
      const id = c.sendRequest(`call.${p}.model.method`, { value: 42 });
      if (reply !== "none") answer(await env.service.next(`access.${p}.model`), reply);
      if ("result" in expected) {
        (await env.service.next(`call.${p}.model.method`)).result({ foo: "bar" });
      }
      await expectResponse(c, id, expected);
      if (!("result" in expected)) {
        assert.equal(env.service.requests(`call.${p}.model.method`).length, calls);
      }
    }
    const accessCount = second === "none" ? 1 : 2;
    assert.equal(env.service.requests(`access.${p}.model`).length, accessCount);
  });
}

// ---- call replies --------------------------------------------------------------

const replyCases: { name: string; reply: Reply; expected: Expected }[] = [
  { name: "object result", reply: '{"result":{"foo":"bar"}}', expected: ok },
  { name: "null result", reply: '{"result":null}', expected: { result: { payload: null } } },
  { name: "number result", reply: '{"result":42}', expected: { result: { payload: 42 } } },
  {
    name: "array result",
    reply: '{"result":[1,"two",{"three":3}]}',
    expected: { result: { payload: [1, "two", { three: 3 }] } },
  },
  {
    name: "result with error null",
    reply: '{"result":"r","error":null}',
    expected: { result: { payload: "r" } },
  },
  {
    name: "invalid params error",
    reply: '{"error":{"code":"system.invalidParams","message":"Invalid parameters"}}',
    expected: { error: invalidParams },
  },
  {
    name: "custom error with data",
    reply: '{"error":{"code":"custom.error","message":"Custom error","data":{"foo":["bar"]}}}',
    expected: { error: { ...customError, data: { foo: ["bar"] } } },
  },
  {
    name: "result and error: the error wins",
    reply: '{"result":{"foo":"bar"},"error":{"code":"system.custom","message":"Custom"}}',
    expected: { error: { code: "system.custom", message: "Custom" } },
  },
  {
    name: "error and resource: the error wins",
    reply: '{"resource":{"rid":"x.y"},"error":{"code":"system.custom","message":"Custom"}}',
    expected: { error: { code: "system.custom", message: "Custom" } },
  },
  {
    name: "error without code",
    reply: '{"error":{"message":"missing code"}}',
    expected: { error: { code: "", message: "missing code" } },
  },
  { name: "error not an object", reply: '{"error":[]}', expected: { internal: undefined } },
  {
    name: "integer error code",
    reply: '{"error":{"code":12,"message":"integer code"}}',
    expected: { internal: undefined },
  },
  { name: "broken JSON", reply: '{"broken":JSON}', expected: { internal: undefined } },
  {
    name: "no result",
    reply: "{}",
    expected: { internal: "Internal error: response missing result" },
  },
  {
    name: "resource as a string",
    reply: '{"resource":"x.model"}',
    expected: { internal: undefined },
  },
  {
    name: "resource without rid",
    reply: '{"resource":{}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "resource rid a number",
    reply: '{"resource":{"rid":42}}',
    expected: { internal: undefined },
  },
  {
    name: "resource rid invalid",
    reply: '{"resource":{"rid":"x..model"}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "member name in another case",
    reply: '{"RESULT":{"foo":"bar"}}',
    expected: ok,
  },
  { name: "bare null (read as a pre-response)", reply: "null", expected: { error: timeoutError } },
  { name: "call timeout", reply: "timeout", expected: { error: timeoutError } },
];

for (const tc of replyCases) {
  for (const subscribed of [false, true]) {
    test(`call reply: ${tc.name}${subscribed ? " (subscribed)" : ""}`, async (t) => {
      const p = env.prefix();
      const c = await connectVersion(env, t);
      if (subscribed) {
        await subscribe(env, c, `${p}.model`, { model: MODEL, access: { get: true, call: "*" } });
      }
      const id = c.sendRequest(`call.${p}.model.method`);
      if (!subscribed) (await env.service.next(`access.${p}.model`)).access(true, "*");
      answer(await env.service.next(`call.${p}.model.method`), tc.reply);
      await expectResponse(c, id, tc.expected);
    });
  }
}

// ---- pre-responses -------------------------------------------------------------

test("a timeout pre-response extends the call's deadline", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.model.method`);
  (await env.service.next(`access.${p}.model`)).access(true, "*");
  const call = await env.service.next(`call.${p}.model.method`);
  call.timeout(REQUEST_TIMEOUT * 4);
  await sleep(REQUEST_TIMEOUT + 300);
  call.result("late");
  assert.deepEqual(await c.response(id), { id, result: { payload: "late" } });
});

test("a timeout pre-response extends the access request's deadline", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.model.method`);
  const access = await env.service.next(`access.${p}.model`);
  access.timeout(REQUEST_TIMEOUT * 4);
  await sleep(REQUEST_TIMEOUT + 300);
  access.access(true, "*");
  (await env.service.next(`call.${p}.model.method`)).result("late");
  assert.deepEqual(await c.response(id), { id, result: { payload: "late" } });
});

test("a shorter timeout pre-response ends the call sooner", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.model.method`);
  (await env.service.next(`access.${p}.model`)).access(true, "*");
  const call = await env.service.next(`call.${p}.model.method`);
  const start = Date.now();
  call.timeout(50);
  assert.deepEqual(await c.response(id), { id, error: timeoutError });
  const elapsed = Date.now() - start;
  assert.ok(elapsed < REQUEST_TIMEOUT - 100, `timed out after ${elapsed} ms`);
});

test("a pre-response other than timeout is ignored", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.model.method`);
  (await env.service.next(`access.${p}.model`)).access(true, "*");
  const call = await env.service.next(`call.${p}.model.method`);
  call.respondRaw('foo:"bar"');
  call.result("after");
  assert.deepEqual(await c.response(id), { id, result: { payload: "after" } });
});

// ---- resource responses --------------------------------------------------------

const MODEL_GET = `{"result":{"model":${JSON.stringify(MODEL)}}}`;
const resourceCases: { name: string; get: Reply; access: Reply; errors?: unknown }[] = [
  { name: "model", get: MODEL_GET, access: FULL },
  {
    name: "get error",
    get: '{"error":{"code":"custom.error","message":"Custom error"}}',
    access: FULL,
    errors: customError,
  },
  { name: "get timeout", get: "timeout", access: FULL, errors: timeoutError },
  {
    name: "no get access",
    get: MODEL_GET,
    access: '{"result":{"get":false}}',
    errors: accessDenied,
  },
  {
    name: "access error",
    get: MODEL_GET,
    access: '{"error":{"code":"custom.error","message":"Custom error"}}',
    errors: customError,
  },
  { name: "access denied error", get: MODEL_GET, access: DENIED, errors: accessDenied },
  { name: "access timeout", get: MODEL_GET, access: "timeout", errors: timeoutError },
];

for (const tc of resourceCases) {
  test(`call resource response: ${tc.name}`, async (t) => {
    const p = env.prefix();
    const rid = `${p}.model`;
    const c = await connectVersion(env, t);
    const id = c.sendRequest(`call.${p}.collection.create`, { value: 42 });
    (await env.service.next(`access.${p}.collection`)).access(true, "*");
    const call = await env.service.next(`call.${p}.collection.create`);
    assert.deepEqual(body(call), { params: { value: 42 }, token: null, cid: call.cid });
    call.resource(rid);
    const access = await env.service.next(`access.${rid}`);
    assert.deepEqual(body(access), { token: null, cid: call.cid });
    const get = await env.service.next(`get.${rid}`);
    assert.deepEqual(body(get), {});
    answer(get, tc.get);
    answer(access, tc.access);
    const expected =
      tc.errors === undefined
        ? { rid, models: { [rid]: MODEL } }
        : { rid, errors: { [rid]: tc.errors } };
    assert.deepEqual(await c.response(id), { id, result: expected });
    if (tc.errors === undefined) {
      // The client is now subscribed to the resource.
      env.service.event(rid, "custom", { foo: "bar" });
      await expectEvent(c, `${rid}.custom`, { foo: "bar" });
    }
  });
}

test("call resource response with a collection", async (t) => {
  const p = env.prefix();
  const rid = `${p}.collection`;
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.model.method`);
  (await env.service.next(`access.${p}.model`)).access(true, "*");
  (await env.service.next(`call.${p}.model.method`)).resource(rid);
  (await env.service.next(`access.${rid}`)).access(true);
  (await env.service.next(`get.${rid}`)).collection(COLLECTION);
  assert.deepEqual(await c.response(id), {
    id,
    result: { rid, collections: { [rid]: COLLECTION } },
  });
});

test("call resource response with a query resource", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model?q=foo`;
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.collection.method`);
  const collAccess = await env.service.next(`access.${p}.collection`);
  collAccess.access(true, "*");
  (await env.service.next(`call.${p}.collection.method`)).resource(rid);
  const access = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(access), { token: null, query: "q=foo", cid: collAccess.cid });
  access.access(true);
  const get = await env.service.next(`get.${p}.model`);
  assert.deepEqual(body(get), { query: "q=foo" });
  get.model(MODEL, "q=foo");
  assert.deepEqual(await c.response(id), { id, result: { rid, models: { [rid]: MODEL } } });
});

test("call resource response to a resource already sent gives only the rid", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  await subscribe(env, c, rid, { model: MODEL });
  const id = c.sendRequest(`call.${p}.collection.method`);
  (await env.service.next(`access.${p}.collection`)).access(true, "*");
  (await env.service.next(`call.${p}.collection.method`)).resource(rid);
  assert.deepEqual(await c.response(id), { id, result: { rid } });
  assert.equal(env.service.requests(`access.${rid}`).length, 1);
  assert.equal(env.service.requests(`get.${rid}`).length, 1);
});

test("call resource response with references includes the referenced resources", async (t) => {
  const p = env.prefix();
  const parent = `${p}.model.parent`;
  const child = `${p}.model`;
  const parentModel = { name: "parent", child: { rid: child } };
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.collection.method`);
  (await env.service.next(`access.${p}.collection`)).access(true, "*");
  (await env.service.next(`call.${p}.collection.method`)).resource(parent);
  (await env.service.next(`access.${parent}`)).access(true);
  (await env.service.next(`get.${parent}`)).model(parentModel);
  (await env.service.next(`get.${child}`)).model(MODEL);
  assert.deepEqual(await c.response(id), {
    id,
    result: { rid: parent, models: { [child]: MODEL, [parent]: parentModel } },
  });
  await noRequestSoon(env, `access.${child}`);
});

// ---- legacy clients ------------------------------------------------------------

const legacyCases: { name: string; reply: Reply; expected: Expected }[] = [
  {
    name: "object result",
    reply: '{"result":{"foo":"bar"}}',
    expected: { result: { foo: "bar" } },
  },
  {
    name: "result with a rid",
    reply: '{"result":{"rid":"x.model"}}',
    expected: { result: { rid: "x.model" } },
  },
  { name: "null result", reply: '{"result":null}', expected: { result: null } },
  {
    name: "resource member names in another case",
    reply: '{"RESOURCE":{"Rid":"x.model"}}',
    expected: { result: { rid: "x.model" } },
  },
  {
    name: "resource as a string",
    reply: '{"resource":"x.model"}',
    expected: { internal: undefined },
  },
  {
    name: "resource without rid",
    reply: '{"resource":{}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "resource rid a number",
    reply: '{"resource":{"rid":42}}',
    expected: { internal: undefined },
  },
  {
    name: "resource rid invalid",
    reply: '{"resource":{"rid":"x..model"}}',
    expected: { internal: "Internal error: invalid service response" },
  },
];

for (const version of [undefined, "1.1.1"]) {
  const client = version === undefined ? "no version request" : `version ${version}`;
  for (const tc of legacyCases) {
    test(`legacy call (${client}): ${tc.name}`, async (t) => {
      const p = env.prefix();
      const c =
        version === undefined ? await env.connect(t) : await connectVersion(env, t, version);
      const id = c.sendRequest(`call.${p}.model.method`, { value: 42 });
      (await env.service.next(`access.${p}.model`)).access(true, "*");
      const call = await env.service.next(`call.${p}.model.method`);
      assert.deepEqual(body(call), { params: { value: 42 }, token: null, cid: call.cid });
      answer(call, tc.reply);
      await expectResponse(c, id, tc.expected);
    });
  }

  test(`legacy call (${client}): resource response gives the rid without subscribing`, async (t) => {
    const p = env.prefix();
    const rid = `${p}.model`;
    const c = version === undefined ? await env.connect(t) : await connectVersion(env, t, version);
    const id = c.sendRequest(`call.${p}.collection.method`);
    (await env.service.next(`access.${p}.collection`)).access(true, "*");
    (await env.service.next(`call.${p}.collection.method`)).resource(rid);
    assert.deepEqual(await c.response(id), { id, result: { rid } });
    await noRequestSoon(env, `access.${rid}`);
    assertNoRequest(env, `get.${rid}`);
  });
}

test("legacy call: a null result is sent as result null", async (t) => {
  const p = env.prefix();
  const c = await env.connect(t);
  const id = c.sendRequest(`call.${p}.model.method`);
  (await env.service.next(`access.${p}.model`)).access(true, "*");
  (await env.service.next(`call.${p}.model.method`)).result(null);
  await c.response(id);
  assert.equal(c.frames.at(-1), `{"result":null,"id":${id}}`);
});

test("a call result is passed on as its JSON text, compacted", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`call.${p}.model.method`);
  (await env.service.next(`access.${p}.model`)).access(true, "*");
  (await env.service.next(`call.${p}.model.method`)).respondRaw(
    '{"result": { "a" : [ 1 , 2 ], "big": 12345678901234567890, "f": 1.0 } }',
  );
  await c.response(id);
  assert.equal(
    c.frames.at(-1),
    `{"result":{"payload":{"a":[1,2],"big":12345678901234567890,"f":1.0}},"id":${id}}`,
  );
});

test("legacy call: the result is passed on as its JSON text, compacted", async (t) => {
  const p = env.prefix();
  const c = await env.connect(t);
  const id = c.sendRequest(`call.${p}.model.method`);
  (await env.service.next(`access.${p}.model`)).access(true, "*");
  (await env.service.next(`call.${p}.model.method`)).respondRaw(
    '{"result": { "big": 12345678901234567890, "f": 1.0 } }',
  );
  await c.response(id);
  assert.equal(c.frames.at(-1), `{"result":{"big":12345678901234567890,"f":1.0},"id":${id}}`);
});

test("call params are passed on as their JSON text, compacted", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  c.send(
    `{"id":7,"method":"call.${p}.model.method","params":{ "big": 12345678901234567890, "f": 1.0 }}`,
  );
  const access = await env.service.next(`access.${p}.model`);
  access.access(true, "*");
  const call = await env.service.next(`call.${p}.model.method`);
  assert.equal(
    call.raw,
    `{"params":{"big":12345678901234567890,"f":1.0},"token":null,"cid":${JSON.stringify(access.cid)}}`,
  );
  call.result(null);
  assert.deepEqual(await c.response(7), { id: 7, result: { payload: null } });
});

test("version 1.2.0 clients get the payload wrapping", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t, "1.2.0");
  const id = c.sendRequest(`call.${p}.model.method`);
  (await env.service.next(`access.${p}.model`)).access(true, "*");
  (await env.service.next(`call.${p}.model.method`)).result({ foo: "bar" });
  assert.deepEqual(await c.response(id), { id, result: { payload: { foo: "bar" } } });
});
