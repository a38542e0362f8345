// Size limits: payloads beyond NATS' max_payload and service replies beyond the
// gateway's own limit get system.internalError, and the gateway stays connected.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { MAX_SERVICE_PAYLOAD_BYTES } from "../../src/constants.js";
import { TestEnv } from "../support/env.js";

let env: TestEnv;
let big: TestEnv;
before(async () => {
  env = await TestEnv.start();
  // A NATS server that carries payloads larger than the gateway's own limit.
  const dir = mkdtempSync(join(tmpdir(), "resgate-ts-"));
  const conf = join(dir, "nats.conf");
  writeFileSync(conf, "max_payload: 16777216\n");
  big = await TestEnv.start({ natsArgs: ["-c", conf] });
});
after(async () => {
  await env.stop();
  await big.stop();
});

test("a call whose params exceed NATS' max payload gets system.internalError", async (t) => {
  const p = env.prefix();
  env.service.handle(`access.${p}.>`, (r) => r.access(true, "*"));
  const c = await env.connect(t);
  const err = await c.error(`call.${p}.model.set`, { blob: "x".repeat(2 * 1024 * 1024) });
  assert.equal(err?.code, "system.internalError");
  // Still connected to NATS: the next call goes through.
  env.service.handle(`call.${p}.model.ping`, (r) => r.result("pong"));
  assert.deepEqual(await c.result(`call.${p}.model.ping`), "pong");
});

test("a service reply over the gateway's limit is refused, not cached", async (t) => {
  const p = big.prefix();
  const huge = "y".repeat(MAX_SERVICE_PAYLOAD_BYTES + 1024);
  big.service.handle(`access.${p}.>`, (r) => r.access(true, "*"));
  big.service.handle(`get.${p}.huge`, (r) => r.model({ huge }));
  big.service.handle(`get.${p}.fine`, (r) => r.model({ size: "1 MiB", s: "z".repeat(1 << 20) }));
  const c = await big.connect(t);
  assert.equal((await c.error(`subscribe.${p}.huge`))?.code, "system.internalError");
  // Not cached: asking again asks the service again.
  assert.equal((await c.error(`subscribe.${p}.huge`))?.code, "system.internalError");
  assert.equal(big.service.requests(`get.${p}.huge`).length, 2);
  const fine = (await c.result(`subscribe.${p}.fine`)) as {
    models: Record<string, { size: string }>;
  };
  assert.equal(fine.models[`${p}.fine`]?.size, "1 MiB");
});

test("an event over the limit is dropped; later events still arrive", async (t) => {
  const p = big.prefix();
  big.service.serveModel(`${p}.m`, { a: 1 });
  const c = await big.connect(t);
  await c.result(`subscribe.${p}.m`);
  big.service.event(`${p}.m`, "custom", { s: "y".repeat(MAX_SERVICE_PAYLOAD_BYTES + 1) });
  big.service.event(`${p}.m`, "custom", { small: true });
  await c.event(`${p}.m.custom`, { small: true });
});

test("--maxframesize: a larger client message closes the socket with 1009", async () => {
  const small = await TestEnv.start({ config: { maxFrameBytes: 1024 } });
  try {
    const c = await small.connect();
    assert.deepEqual(await c.result("version", { protocol: "1.2.3" }), { protocol: "1.2.3" });
    c.send(JSON.stringify({ id: 2, method: "version", params: { pad: "x".repeat(2048) } }));
    assert.equal((await c.closed).code, 1009);
  } finally {
    await small.stop();
  }
});

test("over the cache's memory budget, an unused resource leaves the cache at once", async () => {
  const tight = await TestEnv.start({ cacheBudgetBytes: 500 });
  try {
    const p = tight.prefix();
    tight.service.serveModel(`${p}.small`, { a: 1 });
    tight.service.serveModel(`${p}.big`, { blob: "x".repeat(1000) });
    const c = await tight.connect();
    // Under the budget, an unused resource stays for the unsubscribe delay.
    await c.result(`subscribe.${p}.small`);
    await c.result(`unsubscribe.${p}.small`);
    assert.equal(tight.gateway.isCached(`${p}.small`), true);
    // Over it, it goes as soon as nobody uses it.
    await c.result(`subscribe.${p}.big`);
    assert.equal(tight.gateway.isCached(`${p}.big`), true);
    await c.result(`unsubscribe.${p}.big`);
    const deadline = Date.now() + 1000;
    while (tight.gateway.isCached(`${p}.big`) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(tight.gateway.isCached(`${p}.big`), false);
    // Asking again loads it again.
    await c.result(`subscribe.${p}.big`);
    assert.equal(tight.service.requests(`get.${p}.big`).length, 2);
    c.close();
  } finally {
    await tight.stop();
  }
});
