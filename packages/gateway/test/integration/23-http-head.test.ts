// HEAD requests (Resgate's test/23http_head_test.go): a GET without the body, with
// the same status and headers (Content-Length included).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";
import { http, rawHttp } from "../support/http.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

test("URLs that name no resource: 404, no body", async () => {
  for (const url of [
    "/wrong_prefix/test/model",
    "/api/",
    "/api/test.model",
    "/api/test/model/",
    "/api/test//model",
    "/api/test/m%C3%A5del/action",
  ]) {
    const r = await http(env.httpUrl, "HEAD", url);
    assert.equal(r.status, 404, url);
    assert.equal(r.body, "");
  }
});

test("a resource: 200 with the GET's headers and no body", async () => {
  const p = env.prefix();
  const pending = http(env.httpUrl, "HEAD", `/api/${p}/model`);
  const reqs = await env.service.nextMany(2);
  const access = reqs.get(`access.${p}.model`);
  assert.equal(access?.data["isHttp"], true);
  access?.access(true);
  reqs.get(`get.${p}.model`)?.model({ string: "foo" });
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.body, "");
  assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(r.headers.get("content-length"), String('{"string":"foo"}'.length));
});

test("an error: its status and no body", async () => {
  const p = env.prefix();
  const pending = http(env.httpUrl, "HEAD", `/api/${p}/model`);
  const reqs = await env.service.nextMany(2);
  reqs.get(`access.${p}.model`)?.access(true);
  reqs.get(`get.${p}.model`)?.error("system.notFound", "Not found");
  const r = await pending;
  assert.equal(r.status, 404);
  assert.equal(r.body, "");
});

test("nothing follows the headers on the wire", async () => {
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, { a: 1 });
  const out = await rawHttp(
    env.gateway.address().port,
    `HEAD /api/${p}/model HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
  );
  assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(out, /\r\nContent-Length: 7\r\n/);
  assert.ok(out.endsWith("\r\n\r\n"), JSON.stringify(out));
});
