// PUT, DELETE and PATCH mapped to call methods (Resgate's
// test/22http_method_mapping_test.go): --putmethod, --deletemethod, --patchmethod.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TestEnv } from "../support/env.js";
import { errorBody, http } from "../support/http.js";
import { Err, ExtraGateway } from "../support/request-basics-helpers.js";
import type { ServiceRequest } from "../support/service.js";

let env: TestEnv;
const byVerb = new Map<string, string>();
const gateways: ExtraGateway[] = [];
before(async () => {
  env = await TestEnv.start();
  for (const [verb, key] of [
    ["PUT", "putMethod"],
    ["DELETE", "deleteMethod"],
    ["PATCH", "patchMethod"],
  ] as const) {
    const g = await ExtraGateway.onEnv(env, { [key]: "mappedMethod" });
    gateways.push(g);
    byVerb.set(verb, `http://127.0.0.1:${g.gateway.address().port}`);
  }
});
after(async () => {
  for (const g of gateways) await g.stop();
  await env.stop();
});

const params = '{"foo":"bar"}';
const cases: [string, (r: ServiceRequest) => void, number, string][] = [
  ["success", (r) => r.result("zoo"), 200, '"zoo"'],
  [
    "invalidParams",
    (r) => r.error("system.invalidParams", "Invalid parameters"),
    400,
    errorBody("system.invalidParams", "Invalid parameters"),
  ],
  ["timeout", () => undefined, 404, errorBody(Err.timeout.code, Err.timeout.message)],
  [
    "accessDenied",
    (r) => r.error("system.accessDenied", "Access denied"),
    401,
    errorBody(Err.accessDenied.code, Err.accessDenied.message),
  ],
  // A method the service does not have is a verb the resource does not allow.
  [
    "methodNotFound",
    (r) => r.error("system.methodNotFound", "Method not found"),
    405,
    errorBody("system.methodNotAllowed", "Method not allowed"),
  ],
];

for (const verb of ["PUT", "DELETE", "PATCH"]) {
  describe(`${verb} mapped to a call`, () => {
    for (const [name, reply, status, body] of cases) {
      test(name, async () => {
        const p = env.prefix();
        const url = byVerb.get(verb) ?? "";
        const pending = http(url, verb, `/api/${p}/model`, { body: params });
        const access = await env.service.next();
        assert.equal(access.subject, `access.${p}.model`);
        assert.equal(access.data["isHttp"], true);
        access.access(true, "*");
        const call = await env.service.next();
        assert.equal(call.subject, `call.${p}.model.mappedMethod`);
        assert.equal(
          call.raw,
          `{"params":${params},"token":null,"cid":"${access.cid}","isHttp":true}`,
        );
        reply(call);
        const r = await pending;
        assert.equal(r.status, status);
        assert.equal(r.body, body);
        assert.equal(r.headers.get("allow"), null);
      });
    }
  });
}

test("a verb without a mapping is 405 system.methodNotAllowed, without any request", async () => {
  for (const [verb, url] of [
    ["PUT", byVerb.get("DELETE")],
    ["DELETE", byVerb.get("PATCH")],
    ["PATCH", byVerb.get("PUT")],
    ["PUT", env.httpUrl],
    ["PROPFIND", env.httpUrl],
  ] as const) {
    const p = env.prefix();
    const r = await http(url ?? "", verb, `/api/${p}/model`, { body: params });
    assert.equal(r.status, 405, verb);
    assert.equal(r.body, errorBody("system.methodNotAllowed", "Method not allowed"));
    assert.equal(r.headers.get("allow"), null);
    await env.service.noRequest(`access.${p}.model`, 20);
  }
});

test("a mapped verb on a path with no resource is 404", async () => {
  for (const path of ["/api/", "/api/a.b", "/api/a//b", "/api/a/b/"]) {
    const r = await http(byVerb.get("PUT") ?? "", "PUT", path);
    assert.equal(r.status, 404, path);
  }
});
