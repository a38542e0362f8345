// HTTP POST on the API path (Resgate's test/15http_post_test.go): `POST /api/a/b/m`
// checks call access with isHttp, then calls `call.a.b.m` with the body as params.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TestEnv } from "../support/env.js";
import { errorBody, http } from "../support/http.js";
import { Err, ExtraGateway } from "../support/request-basics-helpers.js";
import type { ServiceRequest } from "../support/service.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

const JSON_TYPE = "application/json; charset=utf-8";

test("a call on a query model: access then call, both with the query and isHttp", async () => {
  const p = env.prefix();
  const pending = http(env.httpUrl, "POST", `/api/${p}/model/method?q=foo&f=bar`);
  const access = await env.service.next();
  assert.equal(access.subject, `access.${p}.model`);
  assert.deepEqual(JSON.parse(access.raw), {
    token: null,
    query: "q=foo&f=bar",
    cid: access.cid,
    isHttp: true,
  });
  access.access(false, "method");
  const call = await env.service.next();
  assert.equal(call.subject, `call.${p}.model.method`);
  assert.equal(
    call.raw,
    `{"params":null,"token":null,"query":"q=foo&f=bar","cid":"${access.cid}","isHttp":true}`,
  );
  call.result({ foo: "bar" });
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), JSON_TYPE);
  assert.equal(r.body, '{"foo":"bar"}');
});

test("the body is the call's params, compacted, whatever the content type", async () => {
  const p = env.prefix();
  env.service.handle(`access.${p}.model`, (r) => r.access(true, "*"));
  env.service.handle(`call.${p}.model.set`, (r) => r.result(null));
  const bodies: [string, string][] = [
    ['{ "value" : 42,\n "list": [1, 2] }', '{"value":42,"list":[1,2]}'],
    ["  \n ", "null"],
    ["", "null"],
    ['"text"', '"text"'],
    ["12.50", "12.50"],
  ];
  for (const [body, params] of bodies) {
    const r = await http(env.httpUrl, "POST", `/api/${p}/model/set`, {
      body,
      headers: { "Content-Type": "text/plain" },
    });
    assert.equal(r.status, 204);
    const call = env.service.requests(`call.${p}.model.set`).at(-1);
    assert.ok(call);
    assert.ok(call.raw.startsWith(`{"params":${params},"token":null,`), call.raw);
  }
});

test("a body that is not JSON is 400 system.badRequest, without any request", async () => {
  const p = env.prefix();
  const r = await http(env.httpUrl, "POST", `/api/${p}/model/set`, { body: "{nope" });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get("content-type"), JSON_TYPE);
  assert.equal((JSON.parse(r.body) as { code: string }).code, "system.badRequest");
  await env.service.noRequest(`access.${p}.model`);
});

type Reply = ((r: ServiceRequest, p: string) => void) | "timeout" | "none";

describe("responses to POST requests", () => {
  const params = '{"value":42}';
  const full = (r: ServiceRequest) => r.access(true, "*");
  const ok = (r: ServiceRequest) => r.result({ foo: "bar" });
  const table: {
    name: string;
    body?: string;
    access: Reply;
    call: Reply;
    status: number;
    expected: string | undefined;
    location?: string;
    code?: string;
  }[] = [
    { name: "no params", access: full, call: ok, status: 200, expected: '{"foo":"bar"}' },
    {
      name: "params",
      body: params,
      access: full,
      call: ok,
      status: 200,
      expected: '{"foo":"bar"}',
    },
    {
      name: "method access",
      access: (r) => r.access(true, "method"),
      call: ok,
      status: 200,
      expected: '{"foo":"bar"}',
    },
    {
      name: "multi-method access",
      access: (r) => r.access(true, "foo,method"),
      call: ok,
      status: 200,
      expected: '{"foo":"bar"}',
    },
    {
      name: "missing method access",
      access: (r) => r.access(true, "foo,bar"),
      call: "none",
      status: 401,
      expected: errorBody(Err.accessDenied.code, Err.accessDenied.message),
    },
    {
      name: "no call access",
      access: (r) => r.access(true),
      call: "none",
      status: 401,
      expected: errorBody(Err.accessDenied.code, Err.accessDenied.message),
    },
    {
      name: "access timeout",
      access: "timeout",
      call: "none",
      status: 404,
      expected: errorBody(Err.timeout.code, Err.timeout.message),
    },
    {
      name: "call error invalidParams",
      access: full,
      call: (r) => r.error("system.invalidParams", "Invalid parameters"),
      status: 400,
      expected: errorBody("system.invalidParams", "Invalid parameters"),
    },
    {
      name: "call error methodNotFound",
      access: full,
      call: (r) => r.error("system.methodNotFound", "Method not found"),
      status: 404,
      expected: errorBody("system.methodNotFound", "Method not found"),
    },
    { name: "null result", access: full, call: (r) => r.result(null), status: 204, expected: "" },
    {
      name: "resource response",
      access: full,
      call: (r, p) => r.respondRaw(`{"resource":{"rid":"${p}.model"}}`),
      status: 200,
      expected: "",
      location: "/api/{p}/model",
    },
    ...[
      '{"resource":"{p}.model"}',
      '{"resource":{}}',
      '{"resource":{"rid":42}}',
      '{"resource":{"rid":"{p}..model"}}',
    ].map((raw) => ({
      name: `invalid resource response ${raw}`,
      access: full,
      call: (r: ServiceRequest, p: string) => r.respondRaw(raw.replace("{p}", p)),
      status: 500,
      expected: undefined,
      code: "system.internalError",
    })),
  ];
  for (const l of table) {
    test(l.name, async () => {
      const p = env.prefix();
      const pending = http(env.httpUrl, "POST", `/api/${p}/model/method`, {
        ...(l.body === undefined ? {} : { body: l.body }),
      });
      const access = await env.service.next();
      assert.equal(access.subject, `access.${p}.model`);
      assert.equal(access.data["isHttp"], true);
      if (typeof l.access === "function") l.access(access, p);
      if (l.call !== "none") {
        const call = await env.service.next();
        assert.equal(call.subject, `call.${p}.model.method`);
        assert.equal(JSON.stringify(call.data["params"]), l.body ?? "null");
        if (typeof l.call === "function") l.call(call, p);
      } else {
        await env.service.noRequest(`call.${p}.model.method`, 50);
      }
      const r = await pending;
      assert.equal(r.status, l.status);
      if (l.code) assert.equal((JSON.parse(r.body) as { code: string }).code, l.code);
      if (l.expected !== undefined) assert.equal(r.body, l.expected);
      assert.equal(r.headers.get("location"), l.location?.replace("{p}", p) ?? null);
      if (l.status === 204 || l.location) assert.equal(r.headers.get("content-type"), null);
    });
  }
});

describe("new calls (POST …/new), with v1.1 services answering {rid}", () => {
  const params = '{"value":42}';
  const table: { name: string; access: Reply; call: Reply; status: number; body: string }[] = [
    {
      name: "legacy result",
      access: (r) => r.access(true, "*"),
      call: (r, p) => r.result({ rid: `${p}.model` }),
      status: 200,
      body: "",
    },
    {
      name: "legacy result with new access",
      access: (r) => r.access(true, "foo,new"),
      call: (r, p) => r.result({ rid: `${p}.model` }),
      status: 200,
      body: "",
    },
    {
      name: "resource response",
      access: (r) => r.access(true, "*"),
      call: (r, p) => r.resource(`${p}.model`),
      status: 200,
      body: "",
    },
    {
      name: "missing access",
      access: (r) => r.access(true, "foo,bar"),
      call: "none",
      status: 401,
      body: errorBody(Err.accessDenied.code, Err.accessDenied.message),
    },
    {
      name: "call timeout",
      access: (r) => r.access(true, "*"),
      call: "timeout",
      status: 404,
      body: errorBody(Err.timeout.code, Err.timeout.message),
    },
  ];
  for (const l of table) {
    test(l.name, async () => {
      const p = env.prefix();
      const pending = http(env.httpUrl, "POST", `/api/${p}/collection/new`, { body: params });
      const access = await env.service.next(`access.${p}.collection`);
      if (typeof l.access === "function") l.access(access, p);
      if (l.call !== "none") {
        const call = await env.service.next(`call.${p}.collection.new`);
        assert.equal(JSON.stringify(call.data["params"]), params);
        if (typeof l.call === "function") l.call(call, p);
      }
      const r = await pending;
      assert.equal(r.status, l.status);
      assert.equal(r.body, l.body);
      if (l.status === 200) assert.equal(r.headers.get("location"), `/api/${p}/model`);
    });
  }
});

describe("URLs that name no call get 404 system.notFound, without any request", () => {
  const urls = [
    "/wrong_prefix/test/model/action",
    "/api/",
    "/api/action",
    "/api/test.model/action",
    "/api/test/model/action/",
    "/api/test//model/action",
    "/api/test/model/%C3%A4ction",
    "/api/test/m%C3%A5del/action",
  ];
  for (const url of urls) {
    test(url, async () => {
      const r = await http(env.httpUrl, "POST", url);
      assert.equal(r.status, 404);
      assert.equal(r.body, errorBody(Err.notFound.code, Err.notFound.message));
    });
  }
});

test("a resource ID too long for NATS is 414; so is a method, after access", async () => {
  const long = "x".repeat(10_000);
  const r = await http(env.httpUrl, "POST", `/api/test/${long}/method`);
  assert.equal(r.status, 414);
  assert.equal(r.body, errorBody(Err.subjectTooLong.code, Err.subjectTooLong.message));
  const p = env.prefix();
  const pending = http(env.httpUrl, "POST", `/api/${p}/${long}`);
  (await env.service.next(`access.${p}`)).access(true, "*");
  const m = await pending;
  assert.equal(m.status, 414);
  assert.equal(m.body, errorBody(Err.subjectTooLong.code, Err.subjectTooLong.message));
});

test("a long query is passed whole to access and call", async () => {
  const p = env.prefix();
  const query = "q=" + "y".repeat(10_000);
  env.service.handle(`access.${p}.model`, (r) => r.access(true, "*"));
  env.service.handle(`call.${p}.model.method`, (r) => r.result({ foo: "bar" }));
  const r = await http(env.httpUrl, "POST", `/api/${p}/model/method?${query}`);
  assert.equal(r.status, 200);
  assert.equal(r.body, '{"foo":"bar"}');
  assert.equal(env.service.requests(`call.${p}.model.method`)[0]?.data["query"], query);
});

describe("--headauth", () => {
  let auth: ExtraGateway;
  let url = "";
  before(async () => {
    auth = await ExtraGateway.onEnv(env, { headerAuth: "pvault.method" });
    url = `http://127.0.0.1:${auth.gateway.address().port}`;
  });
  after(async () => {
    await auth.stop();
  });

  for (const token of [undefined, { user: "foo" }, null]) {
    test(`the auth request comes first; token ${JSON.stringify(token)}`, async () => {
      const p = env.prefix();
      const pending = http(url, "POST", `/api/${p}/model/method`, {
        headers: { Origin: "example.com" },
      });
      const req = await env.service.next("auth.pvault.method");
      assert.deepEqual(
        req.data["header"] && (req.data["header"] as Record<string, unknown>)["Origin"],
        ["example.com"],
      );
      if (token !== undefined) {
        env.service.token(req.cid, token);
        await env.service.flush();
      }
      req.error("system.notFound", "Not found");
      const access = await env.service.next(`access.${p}.model`);
      assert.deepEqual(access.data["token"], token ?? null);
      access.access(true, "*");
      const call = await env.service.next(`call.${p}.model.method`);
      assert.deepEqual(call.data["token"], token ?? null);
      call.result({ foo: "bar" });
      const r = await pending;
      assert.equal(r.status, 200);
      assert.equal(r.body, '{"foo":"bar"}');
      assert.equal(r.headers.get("access-control-allow-credentials"), "true");
    });
  }
});
