/**
 * The README's hello-world example (examples/hello-world.ts), run end to end: a real
 * nats-server, the gateway in-process, and a WebSocket client.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { helloService } from "../../examples/hello-world.js";
import { silentLogger, type Service } from "../../src/index.js";
import { GatewayEnv } from "../support/gateway-env.js";

let env: GatewayEnv;
let service: Service;

before(async () => {
  env = await GatewayEnv.start();
  service = helloService({ logger: silentLogger });
  await service.serve(env.nats.url);
});

after(async () => {
  await service.close();
  await env.stop();
});

test("clients get the model and see its changes", async () => {
  const alice = await env.client();
  const bob = await env.client();
  const model = { models: { "hello.model": { message: "Hello, World!" } } };
  assert.deepEqual(await alice.result("subscribe.hello.model"), model);
  assert.deepEqual(await bob.result("subscribe.hello.model"), model);

  assert.deepEqual(await alice.result("call.hello.model.set", { message: "Hi, Bob!" }), {
    payload: null,
  });
  for (const c of [alice, bob]) {
    assert.deepEqual((await c.nextEvent("hello.model.change")).data, {
      values: { message: "Hi, Bob!" },
    });
  }
});

test("invalid parameters are refused", async () => {
  const c = await env.client();
  assert.deepEqual(await c.error("call.hello.model.set", { message: 42 }), {
    code: "system.invalidParams",
    message: "message must be a string",
  });
});
