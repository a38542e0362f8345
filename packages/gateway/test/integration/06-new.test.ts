// The deprecated new request: `new.<rid>` is a call of the method "new", answered
// with a v1.1 result `{"rid":…}` or a v1.2 resource response, and the new resource
// is subscribed (Resgate's test/06new_test.go, server/wsConn.go NewResource,
// server/rescache/rescache.go Call).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MODEL, body, connectVersion, expectEvent } from "../support/calls-helpers.js";
import { TestEnv } from "../support/env.js";
import type { ServiceRequest } from "../support/service.js";
import type { TestClient } from "../support/ws-client.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({
    config: { requestTimeout: 500 },
  });
});
after(async () => {
  await env.stop();
});

const accessDenied = { code: "system.accessDenied", message: "Access denied" };
const timeoutError = { code: "system.timeout", message: "Request timeout" };
const invalidParams = { code: "system.invalidParams", message: "Invalid parameters" };

const FULL = '{"result":{"get":true,"call":"*"}}';
const INVALID_PARAMS = '{"error":{"code":"system.invalidParams","message":"Invalid parameters"}}';
const MODEL_GET = `{"result":{"model":${JSON.stringify(MODEL)}}}`;
const NEW_RESULT = (rid: string) => `{"result":{"rid":"${rid}"}}`;

function answer(req: ServiceRequest, reply: string): void {
  if (reply !== "timeout") req.respondRaw(reply);
}

type Expected =
  { models: true } | { errors: unknown } | { error: unknown } | { internal: string | undefined };

interface Case {
  name: string;
  params?: unknown;
  callAccess: string;
  /** The reply to the call request, or "none" when no call request is expected. */
  call: string | ((rid: string) => string);
  /** Replies to the new resource's get and access requests, when they are expected. */
  get?: string;
  modelAccess?: string;
  expected: Expected;
}

const cases: Case[] = [
  // Params
  {
    name: "params, v1.1 result",
    params: { value: 42 },
    callAccess: FULL,
    call: NEW_RESULT,
    get: MODEL_GET,
    modelAccess: FULL,
    expected: { models: true },
  },
  {
    name: "no params, v1.1 result",
    callAccess: FULL,
    call: NEW_RESULT,
    get: MODEL_GET,
    modelAccess: FULL,
    expected: { models: true },
  },
  {
    name: "params, v1.2 resource response",
    params: { value: 42 },
    callAccess: FULL,
    call: (rid) => `{"resource":{"rid":"${rid}"}}`,
    get: MODEL_GET,
    modelAccess: FULL,
    expected: { models: true },
  },
  // Call access
  {
    name: 'call "new"',
    params: { value: 42 },
    callAccess: '{"result":{"get":true,"call":"new"}}',
    call: NEW_RESULT,
    get: MODEL_GET,
    modelAccess: FULL,
    expected: { models: true },
  },
  {
    name: 'call "foo,new"',
    params: { value: 42 },
    callAccess: '{"result":{"get":true,"call":"foo,new"}}',
    call: NEW_RESULT,
    get: MODEL_GET,
    modelAccess: FULL,
    expected: { models: true },
  },
  {
    name: 'call "foo,bar"',
    params: { value: 42 },
    callAccess: '{"result":{"get":true,"call":"foo,bar"}}',
    call: "none",
    expected: { error: accessDenied },
  },
  {
    name: "no call access",
    params: { value: 42 },
    callAccess: '{"result":{"get":true}}',
    call: "none",
    expected: { error: accessDenied },
  },
  {
    name: "access timeout",
    params: { value: 42 },
    callAccess: "timeout",
    call: "none",
    expected: { error: timeoutError },
  },
  // Call reply
  {
    name: "invalid params error",
    params: { value: 42 },
    callAccess: FULL,
    call: INVALID_PARAMS,
    expected: { error: invalidParams },
  },
  {
    name: "call timeout",
    params: { value: 42 },
    callAccess: FULL,
    call: "timeout",
    expected: { error: timeoutError },
  },
  // The new resource's get and access
  {
    name: "get error",
    params: { value: 42 },
    callAccess: FULL,
    call: NEW_RESULT,
    get: INVALID_PARAMS,
    modelAccess: FULL,
    expected: { errors: invalidParams },
  },
  {
    name: "get timeout",
    params: { value: 42 },
    callAccess: FULL,
    call: NEW_RESULT,
    get: "timeout",
    modelAccess: FULL,
    expected: { errors: timeoutError },
  },
  {
    name: "no get access",
    params: { value: 42 },
    callAccess: FULL,
    call: NEW_RESULT,
    get: MODEL_GET,
    modelAccess: '{"result":{"get":false}}',
    expected: { errors: accessDenied },
  },
  {
    name: "access error",
    params: { value: 42 },
    callAccess: FULL,
    call: NEW_RESULT,
    get: MODEL_GET,
    modelAccess: INVALID_PARAMS,
    expected: { errors: invalidParams },
  },
  {
    name: "access denied error",
    params: { value: 42 },
    callAccess: FULL,
    call: NEW_RESULT,
    get: MODEL_GET,
    modelAccess: '{"error":{"code":"system.accessDenied","message":"Access denied"}}',
    expected: { errors: accessDenied },
  },
  {
    name: "model access timeout",
    params: { value: 42 },
    callAccess: FULL,
    call: NEW_RESULT,
    get: MODEL_GET,
    modelAccess: "timeout",
    expected: { errors: timeoutError },
  },
  // Invalid service replies
  {
    name: "broken JSON",
    callAccess: FULL,
    call: '{"broken":JSON}',
    expected: { internal: undefined },
  },
  { name: "a bare number", callAccess: FULL, call: "42", expected: { internal: undefined } },
  {
    name: "no result",
    callAccess: FULL,
    call: "{}",
    expected: { internal: "Internal error: response missing result" },
  },
  {
    name: "result and error: the error wins",
    callAccess: FULL,
    call: '{"result":{"foo":"bar"},"error":{"code":"system.custom","message":"Custom"}}',
    expected: { error: { code: "system.custom", message: "Custom" } },
  },
  {
    name: "empty result object",
    callAccess: FULL,
    call: '{"result":{}}',
    expected: { internal: "Internal error: non-resource response on new request" },
  },
  {
    name: "result not a resource",
    callAccess: FULL,
    call: '{"result":{"foo":"bar"}}',
    expected: { internal: "Internal error: non-resource response on new request" },
  },
  {
    name: "null result",
    callAccess: FULL,
    call: '{"result":null}',
    expected: { internal: "Internal error: non-resource response on new request" },
  },
  {
    name: "empty rid",
    callAccess: FULL,
    call: '{"result":{"rid":""}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "rid with only a query",
    callAccess: FULL,
    call: '{"result":{"rid":"?q=foo"}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "rid with a tab",
    callAccess: FULL,
    call: '{"result":{"rid":"test\\tmodel"}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "rid with a newline",
    callAccess: FULL,
    call: '{"result":{"rid":"test\\nmodel"}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "rid with a carriage return",
    callAccess: FULL,
    call: '{"result":{"rid":"test\\rmodel"}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "rid with a space",
    callAccess: FULL,
    call: '{"result":{"rid":"test model"}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "rid with a non-ASCII character",
    callAccess: FULL,
    call: '{"result":{"rid":"test\\ufffdmodel"}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "rid a number",
    callAccess: FULL,
    call: '{"result":{"rid":42}}',
    expected: { internal: "Internal error: non-resource response on new request" },
  },
  {
    name: "v1.1 result with RID in upper case (not read as a rid)",
    callAccess: FULL,
    call: '{"result":{"RID":"test.model"}}',
    expected: { internal: "Internal error: non-resource response on new request" },
  },
  {
    name: "rid with another member",
    callAccess: FULL,
    call: '{"result":{"rid":"test.model","foo":42}}',
    expected: { internal: "Internal error: non-resource response on new request" },
  },
  {
    name: "invalid resource rid",
    callAccess: FULL,
    call: '{"resource":{"rid":"test..model"}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "error not an object",
    callAccess: FULL,
    call: '{"error":[]}',
    expected: { internal: undefined },
  },
  {
    name: "error without code",
    callAccess: FULL,
    call: '{"error":{"message":"missing code"}}',
    expected: { error: { code: "", message: "missing code" } },
  },
  {
    name: "integer error code",
    callAccess: FULL,
    call: '{"error":{"code":12,"message":"integer code"}}',
    expected: { internal: undefined },
  },
];

async function runNew(c: TestClient, p: string, tc: Case): Promise<void> {
  const rid = `${p}.model`;
  const id = c.sendRequest(`new.${p}.collection`, tc.params);
  const access = await env.service.next(`access.${p}.collection`);
  assert.deepEqual(body(access), { token: null, cid: access.cid });
  answer(access, tc.callAccess);
  if (tc.call !== "none") {
    const call = await env.service.next(`call.${p}.collection.new`);
    assert.deepEqual(body(call), { params: tc.params ?? null, token: null, cid: access.cid });
    answer(call, typeof tc.call === "function" ? tc.call(rid) : tc.call);
  }
  if (tc.get !== undefined && tc.modelAccess !== undefined) {
    const get = await env.service.next(`get.${rid}`);
    const modelAccess = await env.service.next(`access.${rid}`);
    assert.deepEqual(body(get), {});
    assert.deepEqual(body(modelAccess), { token: null, cid: access.cid });
    answer(get, tc.get);
    answer(modelAccess, tc.modelAccess);
  }
  const r = await c.response(id);
  const e = tc.expected;
  if ("models" in e) {
    assert.deepEqual(r, { id, result: { rid, models: { [rid]: MODEL } } });
  } else if ("errors" in e) {
    assert.deepEqual(r, { id, result: { rid, errors: { [rid]: e.errors } } });
  } else if ("error" in e) {
    assert.deepEqual(r, { id, error: e.error });
  } else {
    assert.equal("result" in r, false, JSON.stringify(r));
    assert.equal(r.error?.code, "system.internalError", JSON.stringify(r));
    if (e.internal === undefined) assert.match(r.error.message, /^Internal error/);
    else assert.deepEqual(r.error, { code: "system.internalError", message: e.internal });
  }
  if (tc.call === "none") assert.equal(env.service.requests(`call.${p}.collection.new`).length, 0);
  if (tc.get === undefined) assert.equal(env.service.requests(`get.${rid}`).length, 0);
}

for (const tc of cases) {
  test(`new: ${tc.name}`, async (t) => {
    const p = env.prefix();
    const c = await connectVersion(env, t);
    await runNew(c, p, tc);
  });
}

test("new: the created resource is subscribed", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await runNew(c, p, {
    name: "subscribed",
    params: { name: "x" },
    callAccess: FULL,
    call: NEW_RESULT,
    get: MODEL_GET,
    modelAccess: FULL,
    expected: { models: true },
  });
  env.service.event(`${p}.model`, "custom", { foo: "bar" });
  await expectEvent(c, `${p}.model.custom`, { foo: "bar" });
});

for (const call of [NEW_RESULT, (rid: string) => `{"resource":{"rid":"${rid}"}}`]) {
  const kind = call === NEW_RESULT ? "v1.1 result" : "resource response";
  test(`new from a legacy client (no version request), ${kind}, subscribes as well`, async (t) => {
    const p = env.prefix();
    const c = await env.connect(t);
    await runNew(c, p, {
      name: "legacy",
      params: { value: 42 },
      callAccess: FULL,
      call,
      get: MODEL_GET,
      modelAccess: FULL,
      expected: { models: true },
    });
  });
}

test("new on a query resource sends the query with the call", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`new.${p}.collection?q=foo`, { value: 42 });
  const access = await env.service.next(`access.${p}.collection`);
  assert.deepEqual(body(access), { token: null, query: "q=foo", cid: access.cid });
  access.access(true, "new");
  const call = await env.service.next(`call.${p}.collection.new`);
  assert.deepEqual(body(call), {
    params: { value: 42 },
    token: null,
    query: "q=foo",
    cid: access.cid,
  });
  call.result({ rid });
  (await env.service.next(`access.${rid}`)).access(true);
  (await env.service.next(`get.${rid}`)).model(MODEL);
  assert.deepEqual(await c.response(id), { id, result: { rid, models: { [rid]: MODEL } } });
});
