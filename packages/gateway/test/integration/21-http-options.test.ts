// CORS (Resgate's test/21http_options_test.go and the AllowOrigin tables of
// 14http_get_test.go and 15http_post_test.go): --alloworigin, preflight requests,
// Access-Control-* headers, and the origin check of WebSocket upgrades.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import { TestEnv } from "../support/env.js";
import { errorBody, http, rawHttp } from "../support/http.js";
import { ExtraGateway } from "../support/request-basics-helpers.js";

let env: TestEnv;
const gateways = new Map<string, ExtraGateway>();
before(async () => {
  env = await TestEnv.start();
  for (const origin of ["*", "http://localhost", "http://localhost;https://resgate.io"]) {
    gateways.set(origin, await ExtraGateway.onEnv(env, { allowOrigin: origin }));
  }
  gateways.set(
    "mapped",
    await ExtraGateway.onEnv(env, {
      headerAuth: "cvault.method",
      putMethod: "put",
      deleteMethod: "delete",
      patchMethod: "patch",
    }),
  );
});
after(async () => {
  for (const g of gateways.values()) await g.stop();
  await env.stop();
});

function urlOf(allowOrigin: string): string {
  const g = gateways.get(allowOrigin);
  assert.ok(g);
  return `http://127.0.0.1:${g.gateway.address().port}`;
}

/** Asserts the headers present (with their values) and absent. */
function assertHeaders(h: Headers, present: Record<string, string>, absent: string[]): void {
  for (const [k, v] of Object.entries(present)) assert.equal(h.get(k), v, k);
  for (const k of absent) assert.equal(h.get(k), null, k);
}

describe("OPTIONS: preflight headers by allowed origin", () => {
  const table: [string, string, Record<string, string>, string[]][] = [
    ["http://localhost", "*", { "Access-Control-Allow-Origin": "*" }, ["Vary"]],
    [
      "http://localhost",
      "http://localhost",
      { "Access-Control-Allow-Origin": "http://localhost", Vary: "Origin" },
      [],
    ],
    [
      "https://resgate.io",
      "http://localhost;https://resgate.io",
      { "Access-Control-Allow-Origin": "https://resgate.io", Vary: "Origin" },
      [],
    ],
    // A refused origin is still answered 200, told the first allowed origin.
    [
      "http://example.com",
      "http://localhost;https://resgate.io",
      { "Access-Control-Allow-Origin": "http://localhost", Vary: "Origin" },
      [],
    ],
    ["", "*", { "Access-Control-Allow-Origin": "*" }, ["Vary"]],
    ["", "http://localhost", {}, ["Access-Control-Allow-Origin", "Vary"]],
  ];
  for (const [origin, allow, present, absent] of table) {
    test(`Origin ${origin || "(none)"}, allowOrigin ${allow}`, async () => {
      const r = await http(urlOf(allow), "OPTIONS", "/api/test/model", {
        headers: origin === "" ? {} : { Origin: origin },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body, "");
      assertHeaders(
        r.headers,
        { ...present, "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS, POST" },
        [...absent, "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers"],
      );
      assert.equal(env.service.log.length, 0, "no request reaches a service");
    });
  }
});

test("OPTIONS echoes Access-Control-Request-Headers, every line joined", async () => {
  const one = await http(urlOf("*"), "OPTIONS", "/api/test/model", {
    headers: { "Access-Control-Request-Headers": "Content-Type" },
  });
  assert.equal(one.headers.get("access-control-allow-headers"), "Content-Type");
  const port = gateways.get("*")?.gateway.address().port ?? 0;
  const raw = await rawHttp(
    port,
    "OPTIONS /api/test/model HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
      "Access-Control-Request-Headers: X-PINGOTHER\r\n" +
      "Access-Control-Request-Headers: Content-Type, Authorization\r\n\r\n",
  );
  assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(
    raw,
    /\r\nAccess-Control-Allow-Headers: X-PINGOTHER, Content-Type, Authorization\r\n/,
  );
});

test("OPTIONS with header auth and mapped methods", async () => {
  const r = await http(urlOf("mapped"), "OPTIONS", "/api/any/path/at/all");
  assert.equal(r.status, 200);
  assertHeaders(
    r.headers,
    {
      "Access-Control-Allow-Credentials": "true",
      "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS, POST, PUT, DELETE, PATCH",
      "Access-Control-Allow-Origin": "*",
    },
    [],
  );
});

describe("GET and POST by origin", () => {
  const table: [string, string, number, Record<string, string>, string[]][] = [
    ["http://localhost", "*", 200, { "Access-Control-Allow-Origin": "*" }, ["Vary"]],
    [
      "http://localhost",
      "http://localhost",
      200,
      { "Access-Control-Allow-Origin": "http://localhost", Vary: "Origin" },
      [],
    ],
    [
      "https://resgate.io",
      "http://localhost;https://resgate.io",
      200,
      { "Access-Control-Allow-Origin": "https://resgate.io", Vary: "Origin" },
      [],
    ],
    [
      "HTTPS://Resgate.IO",
      "http://localhost;https://resgate.io",
      200,
      { "Access-Control-Allow-Origin": "HTTPS://Resgate.IO", Vary: "Origin" },
      [],
    ],
    [
      "http://example.com",
      "http://localhost;https://resgate.io",
      403,
      { "Access-Control-Allow-Origin": "http://localhost", Vary: "Origin" },
      [],
    ],
    ["null", "http://localhost", 200, {}, ["Access-Control-Allow-Origin", "Vary"]],
    ["", "*", 200, { "Access-Control-Allow-Origin": "*" }, ["Vary"]],
    ["", "http://localhost", 200, {}, ["Access-Control-Allow-Origin", "Vary"]],
  ];
  for (const [origin, allow, status, present, absent] of table) {
    test(`Origin ${origin || "(none)"}, allowOrigin ${allow}: ${status}`, async () => {
      const p = env.prefix();
      env.service.handle(`access.${p}.model`, (r) => r.access(true, "*"));
      env.service.handle(`get.${p}.model`, (r) => r.model({ a: 1 }));
      env.service.handle(`call.${p}.model.method`, (r) => r.result({ b: 2 }));
      const headers: Record<string, string> = origin === "" ? {} : { Origin: origin };
      const get = await http(urlOf(allow), "GET", `/api/${p}/model`, { headers });
      const post = await http(urlOf(allow), "POST", `/api/${p}/model/method`, { headers });
      for (const [r, body] of [
        [get, '{"a":1}'],
        [post, '{"b":2}'],
      ] as const) {
        assert.equal(r.status, status);
        assert.equal(
          r.body,
          status === 403 ? errorBody("system.forbidden", "Forbidden origin") : body,
        );
        assertHeaders(r.headers, present, [...absent, "Access-Control-Allow-Credentials"]);
      }
      if (status === 403) assert.equal(env.service.requests(`access.${p}.model`).length, 0);
    });
  }
});

describe("WebSocket upgrades check the origin", () => {
  function upgrade(
    url: string,
    origin: string | undefined,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, origin === undefined ? {} : { origin });
      const t = setTimeout(() => reject(new Error("no upgrade answer within 3 s")), 3000);
      ws.once("open", () => {
        clearTimeout(t);
        ws.close();
        resolve({ status: 101, body: "" });
      });
      ws.once("unexpected-response", (_req, res: IncomingMessage) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => {
          clearTimeout(t);
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      ws.once("error", () => undefined);
    });
  }
  const wsUrl = (allow: string) => urlOf(allow).replace("http:", "ws:") + "/";

  test("an allowed origin, a missing one, and null are upgraded", async () => {
    assert.equal((await upgrade(wsUrl("http://localhost"), "http://localhost")).status, 101);
    assert.equal((await upgrade(wsUrl("http://localhost"), "HTTP://LOCALHOST")).status, 101);
    assert.equal((await upgrade(wsUrl("http://localhost"), undefined)).status, 101);
    assert.equal((await upgrade(wsUrl("http://localhost"), "null")).status, 101);
    assert.equal((await upgrade(wsUrl("*"), "http://anything.example")).status, 101);
  });

  test("another origin is refused with 403, as gorilla/websocket refuses it", async () => {
    const r = await upgrade(wsUrl("http://localhost;https://resgate.io"), "http://example.com");
    assert.deepEqual(r, { status: 403, body: "Forbidden\n" });
  });

  test("a refused origin sends no header auth request", async () => {
    const g = await ExtraGateway.onEnv(env, {
      allowOrigin: "http://localhost",
      wsHeaderAuth: "ovault.method",
    });
    try {
      const url = `ws://127.0.0.1:${g.gateway.address().port}/`;
      const r = await upgrade(url, "http://example.com");
      assert.equal(r.status, 403);
      await env.service.noRequest("auth.ovault.method");
    } finally {
      await g.stop();
    }
  });
});
