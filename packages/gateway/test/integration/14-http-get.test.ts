// HTTP GET on the API path (Resgate's test/14http_get_test.go): URL to resource ID,
// access with isHttp, references nested in the json and jsonflat encodings, errors
// mapped to statuses, and header authentication (--headauth).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { TestEnv } from "../support/env.js";
import { errorBody, http, rawHttp } from "../support/http.js";
import { Err, ExtraGateway, serveFixtures } from "../support/request-basics-helpers.js";
import type { ServiceRequest } from "../support/service.js";

let env: TestEnv;
let flat: ExtraGateway;
let flatUrl = "";
before(async () => {
  env = await TestEnv.start();
  flat = await ExtraGateway.onEnv(env, { apiEncoding: "jsonFlat" });
  flatUrl = `http://127.0.0.1:${flat.gateway.address().port}`;
});
after(async () => {
  await flat.stop();
  await env.stop();
});

const NOT_FOUND = errorBody("system.notFound", "Not found");
const JSON_TYPE = "application/json; charset=utf-8";

describe("URLs that name no resource get 404 system.notFound", () => {
  const urls = [
    "/wrong_prefix/test/model",
    "/api/",
    "/api/test.model",
    "/api/test/model/",
    "/api/test//model",
    "/api/test/m%C3%A5del/action",
  ];
  for (const url of urls) {
    test(url, async () => {
      for (const base of [env.httpUrl, flatUrl]) {
        const r = await http(base, "GET", url);
        assert.equal(r.status, 404);
        assert.equal(r.headers.get("content-type"), JSON_TYPE);
        assert.equal(r.body, NOT_FOUND);
      }
    });
  }
});

test("GET sends an access request with isHttp and a get request, in parallel", async () => {
  const p = env.prefix();
  const pending = http(env.httpUrl, "GET", `/api/${p}/model`);
  const reqs = await env.service.nextMany(2);
  const access = reqs.get(`access.${p}.model`);
  const get = reqs.get(`get.${p}.model`);
  assert.ok(access && get);
  assert.deepEqual(JSON.parse(access.raw), { token: null, cid: access.cid, isHttp: true });
  assert.equal(get.raw, "{}");
  access.access(true);
  get.model({ string: "foo", int: 42 });
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), JSON_TYPE);
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
  assert.equal(r.body, '{"string":"foo","int":42}');
});

/** Expected bodies for Resgate's resource fixtures, `P` standing for the prefix. */
const MODEL = '{"string":"foo","int":42,"bool":true,"null":null}';
const COLLECTION = '["foo",42,true,null]';
const NOTFOUND_ERR = '{"code":"system.notFound","message":"Not found"}';
const bodies: Record<string, { json: string; flat: string }> = {
  model: { json: MODEL, flat: MODEL },
  "model.parent": {
    json: `{"name":"parent","child":{"href":"/api/P/model","model":${MODEL}}}`,
    flat: `{"name":"parent","child":${MODEL}}`,
  },
  "model.grandparent": {
    json: `{"name":"grandparent","child":{"href":"/api/P/model/parent","model":{"name":"parent","child":{"href":"/api/P/model","model":${MODEL}}}}}`,
    flat: `{"name":"grandparent","child":{"name":"parent","child":${MODEL}}}`,
  },
  "model.brokenchild": {
    json: `{"name":"brokenchild","child":{"href":"/api/P/err/notFound","error":${NOTFOUND_ERR}}}`,
    flat: `{"name":"brokenchild","child":${NOTFOUND_ERR}}`,
  },
  "model.soft": {
    json: '{"name":"soft","child":{"href":"/api/P/model"}}',
    flat: '{"name":"soft","child":{"href":"/api/P/model"}}',
  },
  "model.soft.parent": {
    json: '{"name":"softparent","child":{"href":"/api/P/model/soft","model":{"name":"soft","child":{"href":"/api/P/model"}}}}',
    flat: '{"name":"softparent","child":{"name":"soft","child":{"href":"/api/P/model"}}}',
  },
  "model.data": {
    json: '{"name":"data","primitive":12,"object":{"foo":["bar"]},"array":[{"foo":"bar"}]}',
    flat: '{"name":"data","primitive":12,"object":{"foo":["bar"]},"array":[{"foo":"bar"}]}',
  },
  "m.a": { json: '{"a":{"href":"/api/P/m/a"}}', flat: '{"a":{"href":"/api/P/m/a"}}' },
  "m.b": {
    json: '{"c":{"href":"/api/P/m/c","model":{"b":{"href":"/api/P/m/b"}}}}',
    flat: '{"c":{"b":{"href":"/api/P/m/b"}}}',
  },
  "m.d": {
    json: '{"e":{"href":"/api/P/m/e","model":{"d":{"href":"/api/P/m/d"}}},"f":{"href":"/api/P/m/f","model":{"d":{"href":"/api/P/m/d"}}}}',
    flat: '{"e":{"d":{"href":"/api/P/m/d"}},"f":{"d":{"href":"/api/P/m/d"}}}',
  },
  "m.g": {
    json: '{"e":{"href":"/api/P/m/e","model":{"d":{"href":"/api/P/m/d","model":{"e":{"href":"/api/P/m/e"},"f":{"href":"/api/P/m/f","model":{"d":{"href":"/api/P/m/d"}}}}}}},"f":{"href":"/api/P/m/f","model":{"d":{"href":"/api/P/m/d","model":{"e":{"href":"/api/P/m/e","model":{"d":{"href":"/api/P/m/d"}}},"f":{"href":"/api/P/m/f"}}}}}}',
    flat: '{"e":{"d":{"e":{"href":"/api/P/m/e"},"f":{"d":{"href":"/api/P/m/d"}}}},"f":{"d":{"e":{"d":{"href":"/api/P/m/d"}},"f":{"href":"/api/P/m/f"}}}}',
  },
  collection: { json: COLLECTION, flat: COLLECTION },
  "collection.parent": {
    json: `["parent",{"href":"/api/P/collection","collection":${COLLECTION}}]`,
    flat: `["parent",${COLLECTION}]`,
  },
  "collection.brokenchild": {
    json: `["brokenchild",{"href":"/api/P/err/notFound","error":${NOTFOUND_ERR}}]`,
    flat: `["brokenchild",${NOTFOUND_ERR}]`,
  },
  "collection.soft": {
    json: '["soft",{"href":"/api/P/collection"}]',
    flat: '["soft",{"href":"/api/P/collection"}]',
  },
  "collection.data": {
    json: '["data",12,{"foo":["bar"]},[{"foo":"bar"}]]',
    flat: '["data",12,{"foo":["bar"]},[{"foo":"bar"}]]',
  },
  "c.b": {
    json: '[{"href":"/api/P/c/c","collection":[{"href":"/api/P/c/b"}]}]',
    flat: '[[{"href":"/api/P/c/b"}]]',
  },
  "c.g": {
    json: '[{"href":"/api/P/c/e","collection":[{"href":"/api/P/c/d","collection":[{"href":"/api/P/c/e"},{"href":"/api/P/c/f","collection":[{"href":"/api/P/c/d"}]}]}]},{"href":"/api/P/c/f","collection":[{"href":"/api/P/c/d","collection":[{"href":"/api/P/c/e","collection":[{"href":"/api/P/c/d"}]},{"href":"/api/P/c/f"}]}]}]',
    flat: '[[[{"href":"/api/P/c/e"},[{"href":"/api/P/c/d"}]]],[[[{"href":"/api/P/c/d"}],{"href":"/api/P/c/f"}]]]',
  },
};

describe("resources with their references, in both encodings", () => {
  for (const [name, expected] of Object.entries(bodies)) {
    test(name, async () => {
      const p = env.prefix();
      serveFixtures(env, p);
      const path = `/api/${p}/${name.replaceAll(".", "/")}`;
      const json = await http(env.httpUrl, "GET", path);
      assert.equal(json.status, 200);
      assert.equal(json.body, expected.json.replaceAll("/P/", `/${p}/`));
      const f = await http(flatUrl, "GET", path);
      assert.equal(f.status, 200);
      assert.equal(f.body, expected.flat.replaceAll("/P/", `/${p}/`));
    });
  }
});

test("a query is the rid's query, in both the access and the get request", async () => {
  const p = env.prefix();
  const pending = http(env.httpUrl, "GET", `/api/${p}/model?q=foo&f=bar`);
  const reqs = await env.service.nextMany(2);
  const access = reqs.get(`access.${p}.model`);
  const get = reqs.get(`get.${p}.model`);
  assert.ok(access && get);
  assert.deepEqual(JSON.parse(access.raw), {
    token: null,
    query: "q=foo&f=bar",
    cid: access.cid,
    isHttp: true,
  });
  assert.equal(get.raw, '{"query":"q=foo&f=bar"}');
  access.access(true);
  get.collection(["a"], "q=foo&f=bar");
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.body, '["a"]');
});

test("a long query is passed whole", async () => {
  const p = env.prefix();
  const query = "q=" + "x".repeat(10_000);
  env.service.handle(`access.${p}.model`, (r) => r.access(true));
  env.service.handle(`get.${p}.model`, (r) => r.model({ n: 1 }, query));
  const r = await http(env.httpUrl, "GET", `/api/${p}/model?${query}`);
  assert.equal(r.status, 200);
  assert.equal(env.service.requests(`get.${p}.model`)[0]?.raw, JSON.stringify({ query }));
});

test("%2E in a path segment is a dot of the resource ID; other escapes are decoded", async () => {
  const p = env.prefix();
  env.service.handle(`access.${p}.>`, (r) => r.access(true));
  env.service.handle(`get.${p}.>`, (r) => r.model({ subject: r.subject }));
  const r = await http(env.httpUrl, "GET", `/api/${p}/a%2Eb/c%7Ed`);
  assert.equal(r.status, 200);
  assert.equal(r.body, JSON.stringify({ subject: `get.${p}.a.b.c~d` }));
  // A path whose escapes are Go's own is decoded twice, as Go's URL.Path then PathUnescape do.
  const twice = await http(env.httpUrl, "GET", `/api/${p}/%2541`);
  assert.equal(twice.body, JSON.stringify({ subject: `get.${p}.A` }));
});

test("an invalid %-escape is a plain-text 400 before any API handling", async () => {
  const port = env.gateway.address().port;
  const out = await rawHttp(port, "GET /api/a/%zz HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(
    out,
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request",
  );
});

describe("errors are mapped to statuses", () => {
  const cases: [string, (p: string) => void, number, string][] = [
    [
      "access denied",
      (p) => {
        env.service.handle(`access.${p}.model`, (r) => r.access(false));
        env.service.handle(`get.${p}.model`, (r) => r.model({}));
      },
      401,
      errorBody(Err.accessDenied.code, Err.accessDenied.message),
    ],
    [
      "access error system.forbidden",
      (p) => {
        env.service.handle(`access.${p}.model`, (r) => r.error("system.forbidden", "Forbidden"));
        env.service.handle(`get.${p}.model`, (r) => r.model({}));
      },
      403,
      errorBody("system.forbidden", "Forbidden"),
    ],
    [
      "get not found",
      (p) => {
        env.service.handle(`access.${p}.model`, (r) => r.access(true));
        env.service.handle(`get.${p}.model`, (r) => r.error("system.notFound", "Not found"));
      },
      404,
      NOT_FOUND,
    ],
    [
      "get internal error",
      (p) => {
        env.service.handle(`access.${p}.model`, (r) => r.access(true));
        env.service.handle(`get.${p}.model`, (r) => r.respondRaw("{]"));
      },
      500,
      errorBody("system.internalError", "Internal error: invalid JSON"),
    ],
    [
      "custom error",
      (p) => {
        env.service.handle(`access.${p}.model`, (r) => r.access(true));
        env.service.handle(`get.${p}.model`, (r) => r.error("custom.error", "Custom"));
      },
      400,
      errorBody("custom.error", "Custom"),
    ],
    [
      "service unavailable",
      (p) => {
        env.service.handle(`access.${p}.model`, (r) =>
          r.error("system.serviceUnavailable", "Service unavailable"),
        );
        env.service.handle(`get.${p}.model`, (r) => r.model({}));
      },
      503,
      errorBody("system.serviceUnavailable", "Service unavailable"),
    ],
  ];
  for (const [name, setup, status, body] of cases) {
    test(name, async () => {
      const p = env.prefix();
      setup(p);
      const r = await http(env.httpUrl, "GET", `/api/${p}/model`);
      assert.equal(r.status, status);
      assert.equal(r.headers.get("content-type"), JSON_TYPE);
      const code = (text: string) => (JSON.parse(text) as { code: string }).code;
      assert.equal(code(r.body), code(body));
      if (!name.includes("internal")) assert.equal(r.body, body);
    });
  }

  test("an access request that times out: 404 system.timeout", async () => {
    const p = env.prefix();
    env.service.handle(`access.${p}.model`, () => undefined);
    env.service.handle(`get.${p}.model`, (r) => r.model({}));
    const r = await http(env.httpUrl, "GET", `/api/${p}/model`);
    assert.equal(r.status, 404);
    assert.equal(r.body, errorBody(Err.timeout.code, Err.timeout.message));
  });

  test("a resource ID too long for NATS: 414 system.subjectTooLong", async () => {
    const r = await http(env.httpUrl, "GET", `/api/test/${"x".repeat(10_000)}`);
    assert.equal(r.status, 414);
    assert.equal(r.body, errorBody(Err.subjectTooLong.code, Err.subjectTooLong.message));
  });
});

describe("--headauth", () => {
  let auth: ExtraGateway;
  let url = "";
  before(async () => {
    auth = await ExtraGateway.onEnv(env, { headerAuth: "hvault.method" });
    url = `http://127.0.0.1:${auth.gateway.address().port}`;
  });
  after(async () => {
    await auth.stop();
  });

  const replies: [string, (r: ServiceRequest) => void][] = [
    ["success", (r) => r.result(null)],
    ["not found", (r) => r.error("system.notFound", "Not found")],
    ["invalid JSON", (r) => r.respondRaw("{]")],
    ["timeout", () => undefined],
  ];
  for (const [name, reply] of replies) {
    for (const token of [undefined, { user: "foo" }, null]) {
      test(`auth reply ${name}, token ${JSON.stringify(token)}`, async () => {
        const p = env.prefix();
        const pending = http(url, "GET", `/api/${p}/model?x=1`, {
          headers: { Origin: "http://example.com", Cookie: "id=1" },
        });
        const req = await env.service.next("auth.hvault.method");
        const d = req.data;
        assert.deepEqual(Object.keys(d).sort(), [
          "cid",
          "header",
          "host",
          "isHttp",
          "remoteAddr",
          "token",
          "uri",
        ]);
        assert.equal(d["token"], null);
        assert.equal(d["isHttp"], true);
        assert.equal(d["uri"], `/api/${p}/model?x=1`);
        assert.equal(d["host"], `127.0.0.1:${auth.gateway.address().port}`);
        assert.match(String(d["remoteAddr"]), /^127\.0\.0\.1:\d+$/);
        const header = d["header"] as Record<string, string[]>;
        assert.deepEqual(header["Origin"], ["http://example.com"]);
        assert.deepEqual(header["Cookie"], ["id=1"]);
        if (token !== undefined) {
          env.service.token(req.cid, token);
          await env.service.flush();
        }
        reply(req);
        const reqs = await env.service.nextMany(2, 3000);
        const access = reqs.get(`access.${p}.model`);
        const get = reqs.get(`get.${p}.model`);
        assert.ok(access && get);
        assert.equal(access.cid, req.cid);
        assert.deepEqual(JSON.parse(access.raw), {
          token: token ?? null,
          query: "x=1",
          cid: req.cid,
          isHttp: true,
        });
        access.access(true);
        get.model({ a: 1 }, "x=1");
        const r = await pending;
        assert.equal(r.status, 200);
        assert.equal(r.body, '{"a":1}');
        assert.equal(r.headers.get("access-control-allow-credentials"), "true");
      });
    }
  }
});

describe("caching: ETag and If-None-Match (beyond Resgate)", () => {
  test("the ETag is the body's SHA-1; a matching If-None-Match gets 304", async () => {
    const p = env.prefix();
    env.service.serveModel(`${p}.model`, { n: 1 });
    const path = `/api/${p}/model`;
    const first = await http(env.httpUrl, "GET", path);
    const etag = `"${createHash("sha1").update(first.body).digest("base64url")}"`;
    assert.equal(first.headers.get("etag"), etag);
    const head = await http(env.httpUrl, "HEAD", path);
    assert.equal(head.headers.get("etag"), etag);
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const r = await http(env.httpUrl, "GET", path, { headers: { "If-None-Match": inm } });
      assert.equal(r.status, 304, inm);
      assert.equal(r.body, "");
      assert.equal(r.headers.get("etag"), etag);
      assert.equal(r.headers.get("content-type"), null);
      assert.equal(r.headers.get("access-control-allow-origin"), "*");
    }
    const other = await http(env.httpUrl, "GET", path, { headers: { "If-None-Match": '"x"' } });
    assert.equal(other.status, 200);
    assert.equal(other.body, '{"n":1}');
  });

  test("a change makes a new ETag; errors and calls have none", async () => {
    const p = env.prefix();
    env.service.serveModel(`${p}.model`, { n: 1 });
    env.service.handle(`call.${p}.model.get`, (r) => r.result({ n: 1 }));
    const c = await env.connect();
    await c.result(`subscribe.${p}.model`);
    const path = `/api/${p}/model`;
    const before = (await http(env.httpUrl, "GET", path)).headers.get("etag");
    env.service.event(`${p}.model`, "change", { values: { n: 2 } });
    await c.nextEvent(`${p}.model.change`);
    const after = await http(env.httpUrl, "GET", path, {
      headers: { "If-None-Match": before ?? "" },
    });
    assert.equal(after.status, 200);
    assert.equal(after.body, '{"n":2}');
    assert.notEqual(after.headers.get("etag"), before);
    const post = await http(env.httpUrl, "POST", `${path}/get`);
    assert.equal(post.status, 200);
    assert.equal(post.headers.get("etag"), null);
    const missing = await http(env.httpUrl, "GET", "/api/a/b.c");
    assert.equal(missing.headers.get("etag"), null);
    c.close();
  });
});

test("random paths get Resgate's statuses, never a crash (runs last: it denies every access)", async () => {
  env.service.handle("access.>", (r) => r.access(false));
  env.service.handle("get.>", (r) => r.error("system.notFound", "Not found"));
  const alphabet = [
    "a",
    "b",
    ".",
    "/",
    "%",
    "2",
    "E",
    "e",
    "f",
    "z",
    "?",
    "=",
    "&",
    "*",
    ">",
    "~",
    "%2E",
    "%2F",
    "%25",
    "%C3%A5",
    "//",
  ];
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const port = env.gateway.address().port;
  for (let i = 0; i < 200; i++) {
    let path = "/api/";
    const len = 1 + rand(8);
    for (let j = 0; j < len; j++) path += alphabet[rand(alphabet.length)] ?? "";
    const out = await rawHttp(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1]);
    assert.ok([400, 401, 404].includes(status), `${path}: ${out.split("\r\n")[0]}`);
  }
  // Still serving.
  const r = await http(env.httpUrl, "GET", "/api/");
  assert.equal(r.status, 404);
});
