// --wsheadauth: an auth request with the upgrade request's headers before the
// WebSocket upgrade completes; its meta object may refuse the upgrade or add headers.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";
import { TestEnv } from "../support/env.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({ config: { wsHeaderAuth: "hauth.session.login" } });
});
after(async () => {
  await env.stop();
});

/** Opens a socket and reports the upgrade's outcome: 101 with headers, or the refusal. */
function open(
  headers: Record<string, string>,
): Promise<{ ws: WebSocket | undefined; res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(env.wsUrl, { headers });
    const t = setTimeout(() => reject(new Error("upgrade did not finish within 3 s")), 3000);
    ws.once("upgrade", (res) => {
      ws.once("open", () => {
        clearTimeout(t);
        resolve({ ws, res, body: "" });
      });
    });
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        clearTimeout(t);
        resolve({ ws: undefined, res, body });
      });
    });
    ws.once("error", () => undefined);
  });
}

test("the upgrade waits for the auth request, which carries the HTTP request", async () => {
  const pending = open({ Cookie: "session=abc", "X-Custom": "one" });
  const req = await env.service.next("auth.hauth.session.login");
  const d = req.data;
  assert.equal(d["token"], null);
  assert.equal(d["isHttp"], true);
  assert.equal(d["params"], undefined);
  assert.equal(typeof d["cid"], "string");
  assert.equal(d["uri"], "/");
  assert.match(String(d["remoteAddr"]), /^127\.0\.0\.1:\d+$/);
  assert.equal(d["host"], `127.0.0.1:${env.gateway.address().port}`);
  const header = d["header"] as Record<string, string[]>;
  assert.deepEqual(header["Cookie"], ["session=abc"]);
  assert.deepEqual(header["X-Custom"], ["one"]);
  assert.deepEqual(header["Upgrade"], ["websocket"]);
  assert.ok(Array.isArray(header["Sec-Websocket-Key"]));
  assert.equal(header["Host"], undefined, "Host is sent as host, not as a header");

  // The service logs the connection in with a token, then replies.
  env.service.token(req.cid, { user: "ann" });
  await env.service.flush();
  req.result(null);
  const { ws, res } = await pending;
  assert.equal(res.statusCode, 101);
  assert.ok(ws);

  // The token is the connection's from the start.
  const p = env.prefix();
  const id = 1;
  ws.send(JSON.stringify({ id, method: `subscribe.${p}.model` }));
  const access = await env.service.next(`access.${p}.model`);
  assert.deepEqual(access.data, { token: { user: "ann" }, cid: req.cid });
  ws.close();
});

test("a failed auth still opens the socket", async () => {
  const pending = open({});
  const req = await env.service.next("auth.hauth.session.login");
  req.error("system.accessDenied", "Access denied");
  const { ws, res } = await pending;
  assert.equal(res.statusCode, 101);
  ws?.close();
});

test("meta.status 4xx refuses the upgrade with the error as body", async () => {
  const pending = open({});
  const req = await env.service.next("auth.hauth.session.login");
  req.respond({
    error: { code: "system.accessDenied", message: "Access denied" },
    meta: { status: 401, header: { "www-authenticate": ["Basic"] } },
  });
  const { ws, res, body } = await pending;
  assert.equal(ws, undefined);
  assert.equal(res.statusCode, 401);
  assert.equal(res.headers["www-authenticate"], "Basic");
  assert.equal(res.headers["content-type"], "application/json; charset=utf-8");
  assert.deepEqual(JSON.parse(body), { code: "system.accessDenied", message: "Access denied" });
});

test("meta.status 4xx without an error gets the status's error", async () => {
  const pending = open({});
  const req = await env.service.next("auth.hauth.session.login");
  req.respond({ result: null, meta: { status: 403 } });
  const { res, body } = await pending;
  assert.equal(res.statusCode, 403);
  assert.deepEqual(JSON.parse(body), { code: "system.forbidden", message: "Forbidden" });
});

test("meta.status 3xx with a resource response redirects to its API path", async () => {
  const pending = open({});
  const req = await env.service.next("auth.hauth.session.login");
  req.respond({ resource: { rid: "hauth.login.page" }, meta: { status: 302 } });
  const { res } = await pending;
  assert.equal(res.statusCode, 302);
  assert.equal(res.headers["location"], "/api/hauth/login/page");
});

test("meta.header adds response headers to the upgrade, protected ones excepted", async () => {
  const pending = open({});
  const req = await env.service.next("auth.hauth.session.login");
  req.respond({
    result: null,
    meta: {
      header: {
        "Set-Cookie": ["a=1", "b=2"],
        "X-Extra": ["yes"],
        "Sec-WebSocket-Protocol": ["evil"],
      },
    },
  });
  const { ws, res } = await pending;
  assert.equal(res.statusCode, 101);
  assert.deepEqual(res.headers["set-cookie"], ["a=1", "b=2"]);
  assert.equal(res.headers["x-extra"], "yes");
  assert.equal(res.headers["sec-websocket-protocol"], undefined);
  ws?.close();
});

test("a meta status outside 3xx-5xx is ignored", async () => {
  const pending = open({});
  const req = await env.service.next("auth.hauth.session.login");
  req.respond({ result: null, meta: { status: 200 } });
  const { ws, res } = await pending;
  assert.equal(res.statusCode, 101);
  ws?.close();
});
