// The version request and the protocol version a connection assumes.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

const ok = { protocol: "1.2.3" };
const invalidParams = { code: "system.invalidParams", message: "Invalid parameters" };
const unsupported = { code: "system.unsupportedProtocol", message: "Unsupported protocol" };

const cases: [string, unknown, unknown][] = [
  ["no params", undefined, ok],
  ["empty object", {}, ok],
  ["unknown member", { foo: "bar" }, ok],
  ["empty protocol", { protocol: "" }, ok],
  ["null protocol", { protocol: null }, ok],
  ["1.0.0", { protocol: "1.0.0" }, ok],
  ["1.999.999", { protocol: "1.999.999" }, ok],
  ["string params", "1.0.0", invalidParams],
  ["array params", ["1.0.0"], invalidParams],
  ["number protocol", { protocol: 1.0 }, invalidParams],
  ["two parts", { protocol: "1.0" }, invalidParams],
  ["four parts", { protocol: "1.2.3.4" }, invalidParams],
  ["v prefix", { protocol: "v1.0.0" }, invalidParams],
  ["part of 1000", { protocol: "1.0.1000" }, invalidParams],
  ["0.0.0", { protocol: "0.0.0" }, unsupported],
  ["2.0.0", { protocol: "2.0.0" }, unsupported],
  ["0.999.999", { protocol: "0.999.999" }, unsupported],
];

for (const [name, params, expected] of cases) {
  test(`version request: ${name}`, async (t) => {
    const c = await env.connect(t);
    const r = await c.request("version", params);
    if ("code" in (expected as object)) assert.deepEqual(r.error, expected);
    else assert.deepEqual(r.result, expected);
  });
}

test("the response frame is exactly what Resgate sends", async (t) => {
  const c = await env.connect(t);
  await c.request("version", { protocol: "1.2.3" });
  assert.equal(c.frames[0], '{"result":{"protocol":"1.2.3"},"id":1}');
});
