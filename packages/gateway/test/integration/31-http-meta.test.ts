// The meta object of auth, access and call replies on HTTP requests (Resgate's
// test/31http_meta_test.go): meta.header adds response headers (protected ones
// excepted, Set-Cookie appended), meta.status answers at once (redirects, errors).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { defaultConfig, Gateway, type Config } from "../../src/index.js";
import { TestEnv } from "../support/env.js";
import { httpNode as http } from "../support/http.js";

let env: TestEnv;

/** A gateway on the file's NATS server whose error logs are counted. */
class CountingGateway {
  private lines: string[] = [];
  readonly gateway: Gateway;

  constructor(config: Partial<Config>) {
    const stream = { write: (line: string) => void this.lines.push(line) };
    this.gateway = new Gateway(
      {
        ...defaultConfig(),
        natsUrl: env.nats.url,
        addr: "127.0.0.1",
        port: 0,
        requestTimeout: 1000,
        ...config,
      },
      { logger: pino({ level: "error" }, stream) },
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.gateway.address().port}`;
  }

  /** Error lines logged since the last call. */
  takeErrors(): string[] {
    const l = this.lines;
    this.lines = [];
    return l;
  }
}

const ORIGIN = "http://example.com";
const HREF = "http://example.com/test/ref";
const CUSTOM = '{"code":"system.custom","message":"Custom"}';
const MODEL = '{"string":"foo","int":42}';

let withAuth: CountingGateway;
let noAuth: CountingGateway;
before(async () => {
  env = await TestEnv.start();
  withAuth = new CountingGateway({ headerAuth: "mvault.method", allowOrigin: ORIGIN });
  noAuth = new CountingGateway({ allowOrigin: ORIGIN });
  await withAuth.gateway.start();
  await noAuth.gateway.start();
});
after(async () => {
  await withAuth.gateway.stop();
  await noAuth.gateway.stop();
  await env.stop();
});

type Headers = Record<string, string[] | null>;

function assertMultiHeaders(h: globalThis.Headers, expected: Headers | undefined): void {
  for (const [k, v] of Object.entries(expected ?? {})) {
    if (v === null) assert.equal(h.get(k), null, `${k} should be absent`);
    else if (k === "Set-Cookie") assert.deepEqual(h.getSetCookie(), v, k);
    else assert.equal(h.get(k), v.join(", "), k);
  }
}

interface Row {
  name: string;
  auth?: string;
  access?: string;
  /** The get (GET table) or call (POST table) reply. */
  reply?: string;
  status: number;
  body?: string;
  headers?: Headers;
  errors?: number;
}

const getTable: Row[] = [
  {
    name: "custom header in auth response",
    auth: '{"result":null,"meta":{"header":{"Test-Header":["foo"]}}}',
    access: '{"result":{"get":true}}',
    status: 200,
    body: MODEL,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "canonicalization of header in auth response",
    auth: '{"result":null,"meta":{"header":{"test-header":["foo"]}}}',
    access: '{"result":{"get":true}}',
    status: 200,
    body: MODEL,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "duplicate custom header in auth response",
    auth: '{"result":null,"meta":{"header":{"Test-Header":["foo","bar"]}}}',
    access: '{"result":{"get":true}}',
    status: 200,
    body: MODEL,
    headers: { "Test-Header": ["foo", "bar"] },
  },
  {
    name: "Set-Cookie header in auth response",
    auth: '{"result":null,"meta":{"header":{"Set-Cookie":["id=foo; Max-Age=86400"]}}}',
    access: '{"result":{"get":true}}',
    status: 200,
    body: MODEL,
    headers: { "Set-Cookie": ["id=foo; Max-Age=86400"] },
  },
  {
    name: "3XX (307) status code in auth response",
    auth: `{"result":null,"meta":{"status":307,"header":{"Location":["${HREF}"]}}}`,
    status: 307,
    body: "",
    headers: { Location: [HREF] },
  },
  {
    name: "resource reference and 3XX (307) status code in auth response",
    auth: '{"resource":{"rid":"test.redirect"},"meta":{"status":307}}',
    status: 307,
    body: "",
    headers: { Location: ["/api/test/redirect"] },
  },
  {
    name: "error status code (4XX) with custom error in auth response",
    auth: `{"error":${CUSTOM},"meta":{"status":407}}`,
    status: 407,
    body: CUSTOM,
  },
  {
    name: "error status code (5XX) with custom error in auth response",
    auth: `{"error":${CUSTOM},"meta":{"status":507}}`,
    status: 507,
    body: CUSTOM,
  },
  {
    name: "error status code with custom header in auth response",
    auth: `{"error":${CUSTOM},"meta":{"status":407,"header":{"Test-Header":["foo"]}}}`,
    status: 407,
    body: CUSTOM,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "custom header in access response",
    access: '{"result":{"get":true},"meta":{"header":{"Test-Header":["foo"]}}}',
    status: 200,
    body: MODEL,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "canonicalization of header in access response",
    access: '{"result":{"get":true},"meta":{"header":{"test-header":["foo"]}}}',
    status: 200,
    body: MODEL,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "Set-Cookie header in access response",
    access: '{"result":{"get":true},"meta":{"header":{"Set-Cookie":["id=foo; Max-Age=86400"]}}}',
    status: 200,
    body: MODEL,
    headers: { "Set-Cookie": ["id=foo; Max-Age=86400"] },
  },
  {
    name: "duplicate custom header in auth and access response overrides auth",
    auth: '{"result":null,"meta":{"header":{"Test-Header":["foo"]}}}',
    access: '{"result":{"get":true},"meta":{"header":{"Test-Header":["bar"]}}}',
    status: 200,
    body: MODEL,
    headers: { "Test-Header": ["bar"] },
  },
  {
    name: "custom headers in auth and access response",
    auth: '{"result":null,"meta":{"header":{"Test-Auth":["foo"]}}}',
    access: '{"result":{"get":true},"meta":{"header":{"Test-Access":["bar"]}}}',
    status: 200,
    body: MODEL,
    headers: { "Test-Auth": ["foo"], "Test-Access": ["bar"] },
  },
  {
    name: "Set-Cookie header in both auth and access",
    auth: '{"result":null,"meta":{"header":{"Set-Cookie":["id=foo; Max-Age=86400"]}}}',
    access: '{"result":{"get":true},"meta":{"header":{"Set-Cookie":["id=bar; Max-Age=43200"]}}}',
    status: 200,
    body: MODEL,
    headers: { "Set-Cookie": ["id=foo; Max-Age=86400", "id=bar; Max-Age=43200"] },
  },
  {
    name: "3XX (307) status code in access response",
    access: `{"result":{"get":true},"meta":{"status":307,"header":{"Location":["${HREF}"]}}}`,
    status: 307,
    body: "",
    headers: { Location: [HREF] },
  },
  {
    name: "resource reference in auth and 3XX in access response does not redirect to it",
    auth: '{"resource":{"rid":"test.redirect"}}',
    access: '{"result":{"get":true},"meta":{"status":307}}',
    status: 307,
    body: "",
    headers: { Location: null },
  },
  {
    name: "error status code (4XX) with custom error in access response",
    access: `{"error":${CUSTOM},"meta":{"status":407}}`,
    status: 407,
    body: CUSTOM,
  },
  {
    name: "error status code (5XX) with custom error in access response",
    access: `{"error":${CUSTOM},"meta":{"status":507}}`,
    status: 507,
    body: CUSTOM,
  },
  {
    name: "error status code with custom header in access response",
    access: `{"error":${CUSTOM},"meta":{"status":407,"header":{"Test-Header":["foo"]}}}`,
    status: 407,
    body: CUSTOM,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "custom header in auth response and error status code in access response",
    auth: '{"result":null,"meta":{"header":{"Test-Header":["foo"]}}}',
    access: `{"error":${CUSTOM},"meta":{"status":407}}`,
    status: 407,
    body: CUSTOM,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "protected headers in auth response not overridden or included",
    auth: '{"result":null,"meta":{"header":{"Sec-Websocket-Extensions":["foo"],"Sec-Websocket-Protocol":["foo"],"Access-Control-Allow-Credentials":["foo"],"Access-Control-Allow-Origin":["foo"],"Content-Type":["text/html; charset=utf-8"]}}}',
    access: '{"result":{"get":true}}',
    status: 200,
    body: MODEL,
    headers: {
      "Sec-Websocket-Extensions": null,
      "Sec-Websocket-Protocol": null,
      "Access-Control-Allow-Credentials": ["true"],
      "Access-Control-Allow-Origin": [ORIGIN],
      "Content-Type": ["application/json; charset=utf-8"],
    },
  },
  {
    name: "2XX (206) status code in auth response is ignored",
    auth: '{"result":null,"meta":{"status":206}}',
    access: '{"result":{"get":true}}',
    status: 200,
    body: MODEL,
    errors: 1,
  },
  {
    name: "invalid status code in auth response is ignored",
    auth: '{"result":null,"meta":{"status":601}}',
    access: '{"result":{"get":true}}',
    status: 200,
    body: MODEL,
    errors: 1,
  },
  {
    name: "2XX (206) status code in access response is ignored",
    auth: '{"result":null}',
    access: '{"result":{"get":true},"meta":{"status":206}}',
    status: 200,
    body: MODEL,
    errors: 1,
  },
  {
    name: "invalid status code in access response is ignored",
    auth: '{"result":null}',
    access: '{"result":{"get":true},"meta":{"status":601}}',
    status: 200,
    body: MODEL,
    errors: 1,
  },
];

const postTable: Row[] = [
  {
    name: "custom header in call response",
    access: '{"result":{"call":"method"}}',
    reply: '{"result":null,"meta":{"header":{"Test-Header":["foo"]}}}',
    status: 204,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "canonicalization of header in call response",
    access: '{"result":{"call":"method"}}',
    reply: '{"result":null,"meta":{"header":{"test-header":["foo"]}}}',
    status: 204,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "duplicate custom header in call response",
    access: '{"result":{"call":"method"}}',
    reply: '{"result":null,"meta":{"header":{"Test-Header":["foo","bar"]}}}',
    status: 204,
    headers: { "Test-Header": ["foo", "bar"] },
  },
  {
    name: "3XX (307) status code in call response",
    access: '{"result":{"call":"method"}}',
    reply: `{"result":null,"meta":{"status":307,"header":{"Location":["${HREF}"]}}}`,
    status: 307,
    headers: { Location: [HREF] },
  },
  {
    name: "resource reference and 3XX (307) status code in call response",
    access: '{"result":{"call":"method"}}',
    reply: '{"resource":{"rid":"test.redirect"},"meta":{"status":307}}',
    status: 307,
    headers: { Location: ["/api/test/redirect"] },
  },
  {
    name: "error status code (4XX) with custom error in call response",
    access: '{"result":{"call":"method"}}',
    reply: `{"error":${CUSTOM},"meta":{"status":407}}`,
    status: 407,
    body: CUSTOM,
  },
  {
    name: "error status code with custom header in call response",
    access: '{"result":{"call":"method"}}',
    reply: `{"error":${CUSTOM},"meta":{"status":407,"header":{"Test-Header":["foo"]}}}`,
    status: 407,
    body: CUSTOM,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "custom header in access response",
    access: '{"result":{"call":"method"},"meta":{"header":{"Test-Header":["foo"]}}}',
    reply: '{"result":null}',
    status: 204,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "duplicate custom header in call and access response overrides access",
    access: '{"result":{"call":"method"},"meta":{"header":{"Test-Header":["bar"]}}}',
    reply: '{"result":null,"meta":{"header":{"Test-Header":["foo"]}}}',
    status: 204,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "custom headers in auth, access, and call response",
    auth: '{"result":null,"meta":{"header":{"Test-Auth":["foo"]}}}',
    access: '{"result":{"call":"method"},"meta":{"header":{"Test-Access":["bar"]}}}',
    reply: '{"result":null,"meta":{"header":{"Test-Call":["baz"]}}}',
    status: 204,
    headers: { "Test-Auth": ["foo"], "Test-Access": ["bar"], "Test-Call": ["baz"] },
  },
  {
    name: "Set-Cookie header in both auth, access, and call response",
    auth: '{"result":null,"meta":{"header":{"Set-Cookie":["id=foo; Max-Age=86400"]}}}',
    access:
      '{"result":{"call":"method"},"meta":{"header":{"Set-Cookie":["id=bar; Max-Age=43200"]}}}',
    reply: '{"result":null,"meta":{"header":{"Set-Cookie":["id=baz; Max-Age=21600"]}}}',
    status: 204,
    headers: {
      "Set-Cookie": ["id=foo; Max-Age=86400", "id=bar; Max-Age=43200", "id=baz; Max-Age=21600"],
    },
  },
  {
    name: "3XX (307) status code in access response",
    access: `{"result":{"call":"method"},"meta":{"status":307,"header":{"Location":["${HREF}"]}}}`,
    status: 307,
    headers: { Location: [HREF] },
  },
  {
    name: "resource reference in auth and 3XX in access response does not redirect to it",
    auth: '{"resource":{"rid":"test.redirect"}}',
    access: '{"result":{"call":"method"},"meta":{"status":307}}',
    status: 307,
    headers: { Location: null },
  },
  {
    name: "error status code with custom header in access response",
    access: `{"error":${CUSTOM},"meta":{"status":407,"header":{"Test-Header":["foo"]}}}`,
    status: 407,
    body: CUSTOM,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "custom header in auth response and error status code in access response",
    auth: '{"result":null,"meta":{"header":{"Test-Header":["foo"]}}}',
    access: `{"error":${CUSTOM},"meta":{"status":407}}`,
    status: 407,
    body: CUSTOM,
    headers: { "Test-Header": ["foo"] },
  },
  {
    name: "protected headers in call response not overridden or included",
    access: '{"result":{"call":"method"}}',
    reply:
      '{"result":null,"meta":{"header":{"Sec-Websocket-Extensions":["foo"],"Sec-Websocket-Protocol":["foo"],"Access-Control-Allow-Credentials":["foo"],"Access-Control-Allow-Origin":["foo"],"Content-Type":["text/html; charset=utf-8"]}}}',
    status: 204,
    headers: {
      "Sec-Websocket-Extensions": null,
      "Sec-Websocket-Protocol": null,
      "Access-Control-Allow-Credentials": null,
      "Access-Control-Allow-Origin": [ORIGIN],
      "Content-Type": null,
    },
  },
  {
    name: "2XX (206) status code in call response is ignored",
    access: '{"result":{"call":"method"}}',
    reply: '{"result":null,"meta":{"status":206}}',
    status: 204,
    errors: 1,
  },
  {
    name: "invalid status code in access response is ignored",
    access: '{"result":{"call":"method"},"meta":{"status":601}}',
    reply: '{"result":null}',
    status: 204,
    errors: 1,
  },
  {
    name: "a call error with a meta header but no status keeps the header",
    access: '{"result":{"call":"method"}}',
    reply: `{"error":${CUSTOM},"meta":{"header":{"Test-Header":["foo"]}}}`,
    status: 400,
    body: CUSTOM,
    headers: { "Test-Header": ["foo"] },
  },
];

/** Serves one row: standing answers on the row's subjects under a fresh prefix. */
function serve(row: Row, p: string, auth: string): void {
  if (row.auth) env.service.handle(`auth.${auth}`, (r) => r.respondRaw(row.auth ?? ""));
  env.service.handle(`access.${p}.model`, (r) => r.respondRaw(row.access ?? ""));
  env.service.handle(`get.${p}.model`, (r) =>
    r.respondRaw(row.reply ?? `{"result":{"model":${MODEL}}}`),
  );
  env.service.handle(`call.${p}.model.method`, (r) => r.respondRaw(row.reply ?? ""));
}

for (const [verb, table] of [
  ["GET", getTable],
  ["POST", postTable],
] as const) {
  describe(`${verb} with meta`, () => {
    for (const row of table) {
      test(row.name, async () => {
        const p = env.prefix();
        serve(row, p, "mvault.method");
        const g = row.auth ? withAuth : noAuth;
        g.takeErrors();
        const path = verb === "GET" ? `/api/${p}/model` : `/api/${p}/model/method`;
        const r = await http(g.url, verb, path, { headers: { Origin: ORIGIN } });
        assert.equal(r.status, row.status);
        assert.equal(r.body, row.body ?? "");
        assertMultiHeaders(r.headers, row.headers);
        if (row.auth) {
          const auth = env.service.requests("auth.mvault.method").at(-1);
          assert.equal(auth?.data["isHttp"], true);
        }
        if (row.access) {
          assert.equal(env.service.requests(`access.${p}.model`)[0]?.data["isHttp"], true);
        }
        assert.equal(g.takeErrors().length, row.errors ?? 0);
      });
    }
  });
}

describe("a meta status without an error answers with the status's error", () => {
  const table: [number, string, string][] = [
    [401, "system.accessDenied", "Access denied"],
    [402, "system.accessDenied", "Access denied"],
    [407, "system.accessDenied", "Access denied"],
    [403, "system.forbidden", "Forbidden"],
    [451, "system.forbidden", "Forbidden"],
    [410, "system.notFound", "Not found"],
    [404, "system.notFound", "Not found"],
    [405, "system.methodNotAllowed", "Method not allowed"],
    [408, "system.timeout", "Request timeout"],
    [400, "system.badRequest", "Bad request"],
    [406, "system.badRequest", "Bad request"],
    [409, "system.badRequest", "Bad request"],
    [411, "system.badRequest", "Bad request"],
    [501, "system.notImplemented", "Not implemented"],
    [503, "system.serviceUnavailable", "Service unavailable"],
    [504, "system.timeout", "Request timeout"],
    [500, "system.internalError", "Internal error"],
    [505, "system.internalError", "Internal error"],
    [507, "system.internalError", "Internal error"],
    [511, "system.internalError", "Internal error"],
  ];
  test("every status", async () => {
    for (const [status, code, message] of table) {
      env.service.handle("auth.mvault.method", (r) =>
        r.respondRaw(`{"result":null,"meta":{"status":${status}}}`),
      );
      const r = await http(withAuth.url, "GET", "/api/test/model");
      assert.equal(r.status, status);
      assert.equal(r.body, JSON.stringify({ code, message }), String(status));
      assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
    }
  });
});

test("a meta header that is not a valid HTTP header is dropped, never splitting a response", async () => {
  const p = env.prefix();
  serve(
    {
      name: "",
      access: '{"result":{"call":"method"}}',
      reply:
        '{"result":null,"meta":{"header":{"Bad Name":["x"],"X-Split":["a\\r\\nInjected: yes"]}}}',
      status: 204,
    },
    p,
    "",
  );
  const r = await http(noAuth.url, "POST", `/api/${p}/model/method`);
  assert.equal(r.status, 204);
  assert.equal(r.headers.get("injected"), null);
  assert.equal(r.headers.get("x-split"), "a  Injected: yes");
});
