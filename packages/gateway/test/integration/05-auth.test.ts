// Auth requests: no access check, a request describing the WebSocket upgrade
// request (Go's canonical header names, host, remote address, URI), and result or
// resource responses as for calls (Resgate's test/05auth_test.go,
// server/codec/codec.go CreateAuthRequest, server/wsConn.go AuthResource).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  MODEL,
  assertNoRequest,
  body,
  connectHeaderClient,
  noRequestSoon,
  requestDescription,
} from "../support/calls-helpers.js";
import { TestEnv } from "../support/env.js";
import type { ServiceRequest } from "../support/service.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({
    config: { requestTimeout: 500 },
  });
});
after(async () => {
  await env.stop();
});

const timeoutError = { code: "system.timeout", message: "Request timeout" };
const invalidParams = { code: "system.invalidParams", message: "Invalid parameters" };

function answer(req: ServiceRequest, reply: string): void {
  if (reply !== "timeout") req.respondRaw(reply);
}

test("auth request describes the upgrade request with Go's canonical header names", async (t) => {
  const p = env.prefix();
  const c = await connectHeaderClient(env, t, {
    query: "?foo=bar&x=%20y",
    headers: {
      "X-Custom": "foo",
      "x-lower-CASE": "bar",
      "X-Multi": ["a", "b"],
      "x-api_key": "k",
    },
  });
  // What the client sent, to keep the expectation below honest.
  assert.deepEqual([...c.sent.headerNames].sort(), [
    "connection",
    "host",
    "sec-websocket-extensions",
    "sec-websocket-key",
    "sec-websocket-version",
    "upgrade",
    "x-api_key",
    "x-custom",
    "x-lower-case",
    "x-multi",
  ]);
  const id = c.sendRequest(`auth.${p}.model.login`, { user: "foo", pass: "bar" });
  const req = await env.service.next(`auth.${p}.model.login`);
  assert.match(req.cid, /^\S+$/);
  assert.deepEqual(body(req), {
    params: { user: "foo", pass: "bar" },
    token: null,
    cid: req.cid,
    ...requestDescription(env, c, {
      uri: "/?foo=bar&x=%20y",
      extra: {
        "X-Custom": ["foo"],
        "X-Lower-Case": ["bar"],
        "X-Multi": ["a", "b"],
        "X-Api_key": ["k"],
      },
    }),
  });
  req.result({ foo: "bar" });
  assert.deepEqual(await c.response(id), { id, result: { payload: { foo: "bar" } } });
  assertNoRequest(env, `access.${p}.model`);
});

test("auth request without params sends params null", async (t) => {
  const p = env.prefix();
  const c = await connectHeaderClient(env, t);
  const id = c.sendRequest(`auth.${p}.model.method`);
  const req = await env.service.next(`auth.${p}.model.method`);
  assert.deepEqual(body(req), {
    params: null,
    token: null,
    cid: req.cid,
    ...requestDescription(env, c, { uri: "/" }),
  });
  req.result(null);
  assert.deepEqual(await c.response(id), { id, result: { payload: null } });
});

type Expected = { result: unknown } | { error: unknown } | { internal: string | undefined };

const cases: { name: string; params?: unknown; reply: string; expected: Expected }[] = [
  {
    name: "object result",
    reply: '{"result":{"foo":"bar"}}',
    expected: { result: { payload: { foo: "bar" } } },
  },
  {
    name: "params and object result",
    params: { value: 42 },
    reply: '{"result":{"foo":"bar"}}',
    expected: { result: { payload: { foo: "bar" } } },
  },
  { name: "null result", reply: '{"result":null}', expected: { result: { payload: null } } },
  {
    name: "invalid params error",
    reply: '{"error":{"code":"system.invalidParams","message":"Invalid parameters"}}',
    expected: { error: invalidParams },
  },
  {
    name: "custom error with data",
    reply: '{"error":{"code":"custom.error","message":"Custom","data":{"n":1}}}',
    expected: { error: { code: "custom.error", message: "Custom", data: { n: 1 } } },
  },
  { name: "timeout", reply: "timeout", expected: { error: timeoutError } },
  { name: "broken JSON", reply: '{"broken":JSON}', expected: { internal: undefined } },
  {
    name: "no result",
    reply: "{}",
    expected: { internal: "Internal error: response missing result" },
  },
  {
    name: "result and error: the error wins",
    reply: '{"result":{"foo":"bar"},"error":{"code":"system.custom","message":"Custom"}}',
    expected: { error: { code: "system.custom", message: "Custom" } },
  },
  { name: "error not an object", reply: '{"error":[]}', expected: { internal: undefined } },
  {
    name: "error without code",
    reply: '{"error":{"message":"missing code"}}',
    expected: { error: { code: "", message: "missing code" } },
  },
  {
    name: "integer error code",
    reply: '{"error":{"code":12,"message":"integer code"}}',
    expected: { internal: undefined },
  },
  {
    name: "resource without rid",
    reply: '{"resource":{}}',
    expected: { internal: "Internal error: invalid service response" },
  },
  {
    name: "invalid resource rid",
    reply: '{"resource":{"rid":"x..model"}}',
    expected: { internal: "Internal error: invalid service response" },
  },
];

for (const tc of cases) {
  test(`auth reply: ${tc.name}`, async (t) => {
    const p = env.prefix();
    const c = await connectHeaderClient(env, t);
    const id = c.sendRequest(`auth.${p}.model.method`, tc.params);
    const req = await env.service.next(`auth.${p}.model.method`);
    assert.deepEqual(body(req), {
      params: tc.params ?? null,
      token: null,
      cid: req.cid,
      ...requestDescription(env, c, { uri: "/" }),
    });
    answer(req, tc.reply);
    const r = await c.response(id);
    if ("internal" in tc.expected) {
      assert.equal("result" in r, false, JSON.stringify(r));
      assert.equal(r.error?.code, "system.internalError", JSON.stringify(r));
      if (tc.expected.internal === undefined) assert.match(r.error.message, /^Internal error/);
      else {
        assert.deepEqual(r.error, { code: "system.internalError", message: tc.expected.internal });
      }
    } else {
      assert.deepEqual(r, { id, ...tc.expected });
    }
    assertNoRequest(env, `access.${p}.model`);
  });
}

test("auth replaces the {cid} placeholder with the connection ID", async (t) => {
  const p = env.prefix();
  const c = await connectHeaderClient(env, t);
  const first = c.sendRequest(`auth.${p}.method`);
  const cidReq = await env.service.next(`auth.${p}.method`);
  cidReq.result(null);
  await c.response(first);
  const cid = cidReq.cid;
  const id = c.sendRequest(`auth.${p}.{cid}.model.method`, { foo: "bar" });
  const req = await env.service.next(`auth.${p}.${cid}.model.method`);
  assert.deepEqual(body(req), {
    params: { foo: "bar" },
    token: null,
    cid,
    ...requestDescription(env, c, { uri: "/" }),
  });
  req.result("zoo");
  assert.deepEqual(await c.response(id), { id, result: { payload: "zoo" } });
});

test("auth on a query resource sends the query", async (t) => {
  const p = env.prefix();
  const c = await connectHeaderClient(env, t);
  const id = c.sendRequest(`auth.${p}.model?q=foo&f=bar.method`, { a: 1 });
  const req = await env.service.next(`auth.${p}.model.method`);
  assert.deepEqual(body(req), {
    params: { a: 1 },
    token: null,
    query: "q=foo&f=bar",
    cid: req.cid,
    ...requestDescription(env, c, { uri: "/" }),
  });
  req.result(true);
  assert.deepEqual(await c.response(id), { id, result: { payload: true } });
});

test("auth resource response subscribes the client to the resource", async (t) => {
  const p = env.prefix();
  const rid = `${p}.user`;
  const c = await connectHeaderClient(env, t);
  const id = c.sendRequest(`auth.${p}.model.login`);
  const req = await env.service.next(`auth.${p}.model.login`);
  req.resource(rid);
  const access = await env.service.next(`access.${rid}`);
  assert.deepEqual(body(access), { token: null, cid: req.cid });
  access.access(true);
  const get = await env.service.next(`get.${rid}`);
  assert.deepEqual(body(get), {});
  get.model(MODEL);
  assert.deepEqual(await c.response(id), { id, result: { rid, models: { [rid]: MODEL } } });
  assertNoRequest(env, `access.${p}.model`);
});

test("auth resource response without get access reports the access error", async (t) => {
  const p = env.prefix();
  const rid = `${p}.user`;
  const c = await connectHeaderClient(env, t);
  const id = c.sendRequest(`auth.${p}.model.login`);
  (await env.service.next(`auth.${p}.model.login`)).resource(rid);
  (await env.service.next(`access.${rid}`)).access(false);
  (await env.service.next(`get.${rid}`)).model(MODEL);
  assert.deepEqual(await c.response(id), {
    id,
    result: { rid, errors: { [rid]: { code: "system.accessDenied", message: "Access denied" } } },
  });
});

test("legacy auth (no version request): the result is passed as is", async (t) => {
  const p = env.prefix();
  const c = await connectHeaderClient(env, t, { version: "" });
  const id = c.sendRequest(`auth.${p}.model.method`, { value: 42 });
  const req = await env.service.next(`auth.${p}.model.method`);
  assert.deepEqual(body(req), {
    params: { value: 42 },
    token: null,
    cid: req.cid,
    ...requestDescription(env, c, { uri: "/" }),
  });
  req.result({ foo: "bar" });
  assert.deepEqual(await c.response(id), { id, result: { foo: "bar" } });
});

test("legacy auth (no version request): a resource response gives only the rid", async (t) => {
  const p = env.prefix();
  const rid = `${p}.user`;
  const c = await connectHeaderClient(env, t, { version: "" });
  const id = c.sendRequest(`auth.${p}.model.method`);
  (await env.service.next(`auth.${p}.model.method`)).resource(rid);
  assert.deepEqual(await c.response(id), { id, result: { rid } });
  await noRequestSoon(env, `access.${rid}`);
  assertNoRequest(env, `get.${rid}`);
});

test("an auth method too long for a NATS subject gets system.subjectTooLong", async (t) => {
  const p = env.prefix();
  const c = await connectHeaderClient(env, t);
  const r = await c.request(`auth.${p}.${"a".repeat(10000)}`);
  assert.deepEqual(r, {
    id: r.id,
    error: { code: "system.subjectTooLong", message: "Subject too long" },
  });
});

test("an auth resource ID too long for a NATS subject gets system.subjectTooLong", async (t) => {
  const p = env.prefix();
  const c = await connectHeaderClient(env, t);
  const r = await c.request(`auth.${p}.${"a".repeat(10000)}.method`);
  assert.deepEqual(r, {
    id: r.id,
    error: { code: "system.subjectTooLong", message: "Subject too long" },
  });
});

test("each connection's auth request carries its own cid and remote address", async (t) => {
  const p = env.prefix();
  const c1 = await connectHeaderClient(env, t);
  const c2 = await connectHeaderClient(env, t);
  const cids: string[] = [];
  for (const c of [c1, c2]) {
    const id = c.sendRequest(`auth.${p}.model.method`);
    const req = await env.service.next(`auth.${p}.model.method`);
    assert.deepEqual(body(req), {
      params: null,
      token: null,
      cid: req.cid,
      ...requestDescription(env, c, { uri: "/" }),
    });
    req.result(null);
    await c.response(id);
    cids.push(req.cid);
  }
  assert.notEqual(cids[0], cids[1]);
  assert.notEqual(c1.sent.localPort, c2.sent.localPort);
});
