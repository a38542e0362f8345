// A hostile client and a hostile service against the gateway process: request
// floods, pipelined requests, connection churn and fuzzed input. The gateway must
// stay up, answer every request once, and leave no socket or descriptor behind.
import assert from "node:assert/strict";
import { connect as tcpConnect } from "node:net";
import { after, before, test } from "node:test";
import { GatewayProcess } from "../support/gateway-process.js";
import { NatsServer } from "../support/nats-server.js";
import { HOSTILE_REPLIES, fuzzFrame } from "../support/fuzz.js";
import { pick, rng } from "../support/random.js";
import { ScriptedService } from "../support/service.js";
import { TestClient } from "../support/ws-client.js";

let nats: NatsServer;
let gw: GatewayProcess;
let service: ScriptedService;

before(async () => {
  nats = await NatsServer.start();
  gw = await GatewayProcess.start(nats.url);
  service = await ScriptedService.connect(nats.url);
  service.handle("access.abuse.>", (r) => r.access(true, "*"));
  service.handle("get.abuse.model", (r) => r.model({ n: 1 }));
  service.handle("call.abuse.model.echo", (r) => r.result(r.data["params"] ?? null));
});
after(async () => {
  await service.close();
  const code = await gw.stop();
  await nats.stop();
  assert.equal(code, 0, `gateway exit code; output:\n${gw.output.slice(-2000)}`);
});

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("one client flooding 20 000 requests: all answered once, others still served", async () => {
  const flooder = await TestClient.connect(gw.wsUrl);
  const other = await TestClient.connect(gw.wsUrl);
  const total = 20_000;
  const ids: number[] = [];
  for (let i = 0; i < total; i++) ids.push(flooder.sendRequest("get.abuse.model"));
  // While the flood is being worked through, another client is answered.
  const r = await other.request("subscribe.abuse.model", undefined, 5000);
  assert.deepEqual(r.result, { models: { "abuse.model": { n: 1 } } });
  assert.ok(flooder.frames.length < total, "the other client was served during the flood");
  let answered = 0;
  const full = JSON.stringify({ models: { "abuse.model": { n: 1 } } });
  for (const id of ids) {
    const resp = await flooder.response(id, 30_000);
    // Concurrent gets on one connection share one subscription: the first to finish
    // carries the resource, the others an empty set (as with Resgate).
    const got = JSON.stringify(resp.result);
    assert.ok(got === full || got === "{}", `response ${id}: ${JSON.stringify(resp)}`);
    answered++;
  }
  assert.equal(answered, total);
  assert.equal(flooder.frames.length, total, "exactly one response per request");
  assert.ok(alive(gw.pid));
  flooder.close();
  other.close();
});

test("a request followed at once by unsubscribe: both answered, counts stay exact", async () => {
  const c = await TestClient.connect(gw.wsUrl);
  // subscribe + unsubscribe
  const s1 = c.sendRequest("subscribe.abuse.model");
  const u1 = c.sendRequest("unsubscribe.abuse.model");
  assert.deepEqual((await c.response(s1)).result, { models: { "abuse.model": { n: 1 } } });
  assert.deepEqual(await c.response(u1), { id: u1 });
  // Nothing is held any more.
  assert.equal((await c.error("unsubscribe.abuse.model"))?.code, "system.noSubscription");
  // get + unsubscribe: the get's own hold is visible to the unsubscribe, as with Resgate.
  const g = c.sendRequest("get.abuse.model");
  const u2 = c.sendRequest("unsubscribe.abuse.model");
  assert.deepEqual((await c.response(g)).result, { models: { "abuse.model": { n: 1 } } });
  assert.ok(await c.response(u2));
  assert.equal((await c.error("unsubscribe.abuse.model"))?.code, "system.noSubscription");
  // call + unsubscribe
  const cl = c.sendRequest("call.abuse.model.echo", { x: 1 });
  const u3 = c.sendRequest("unsubscribe.abuse.model");
  assert.ok(await c.response(cl));
  assert.equal((await c.response(u3)).error?.code, "system.noSubscription");
  // Two subscribes and one unsubscribe in a row leave exactly one subscription.
  const a = c.sendRequest("subscribe.abuse.model");
  const b = c.sendRequest("subscribe.abuse.model");
  const u4 = c.sendRequest("unsubscribe.abuse.model");
  await c.response(a);
  await c.response(b);
  assert.deepEqual(await c.response(u4), { id: u4 });
  service.event("abuse.model", "custom", { still: true });
  await c.event("abuse.model.custom", { still: true });
  assert.deepEqual(await c.result("unsubscribe.abuse.model"), undefined);
  assert.equal((await c.error("unsubscribe.abuse.model"))?.code, "system.noSubscription");
  c.close();
});

/** One WebSocket connection that ends in one of three ways. */
async function churnOnce(how: "close" | "reset" | "halfclose"): Promise<void> {
  if (how === "halfclose") {
    // A raw upgrade, then a TCP FIN without any close frame.
    await new Promise<void>((resolve, reject) => {
      const s = tcpConnect({ host: "127.0.0.1", port: gw.port }, () => {
        s.write(
          "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        );
      });
      s.once("data", () => s.end());
      s.once("close", () => resolve());
      s.once("error", reject);
    });
    return;
  }
  const c = await TestClient.connect(gw.wsUrl);
  await c.request("version");
  if (how === "close") {
    c.close();
    await c.closed;
  } else {
    c.ws.terminate();
  }
}

test("connection churn leaves no CLOSE_WAIT socket and no extra descriptor", async () => {
  const idleFds = gw.fdCount();
  for (const how of ["close", "reset", "halfclose"] as const) {
    for (let i = 0; i < 300; i++) await churnOnce(how);
  }
  await waitFor(() => gw.socketsInState("08") === 0, 5000, "no CLOSE_WAIT sockets");
  await waitFor(() => gw.fdCount() <= idleFds + 2, 5000, `fds back to ${idleFds}`);
  assert.ok(alive(gw.pid));
});

test("10 000 fuzzed client frames never crash the gateway", async () => {
  const r = rng(20261124);
  let c = await TestClient.connect(gw.wsUrl);
  for (let n = 0; n < 10_000; n++) {
    if (c.ws.readyState !== 1) c = await TestClient.connect(gw.wsUrl);
    const f = fuzzFrame(r, n);
    c.send(f.data, f.binary);
    if (n % 500 === 0) await new Promise((res) => setImmediate(res));
  }
  // Invalid UTF-8 in a text frame closes the connection with 1007.
  const bad = await TestClient.connect(gw.wsUrl);
  bad.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
  assert.equal((await bad.closed).code, 1007);
  c.close();
  assert.ok(alive(gw.pid));
  const fresh = await TestClient.connect(gw.wsUrl);
  assert.deepEqual(await fresh.result("version", { protocol: "1.2.3" }), { protocol: "1.2.3" });
  fresh.close();
});

test("1 000 hostile service replies never crash the gateway", async () => {
  const r = rng(7);
  service.handle("access.abuse.h.>", (q) =>
    pick(r, 4) === 0
      ? q.respondRaw(HOSTILE_REPLIES[pick(r, HOSTILE_REPLIES.length)] ?? "")
      : q.access(true, "*"),
  );
  service.handle("get.abuse.h.>", (q) =>
    q.respondRaw(HOSTILE_REPLIES[pick(r, HOSTILE_REPLIES.length)] ?? ""),
  );
  const c = await TestClient.connect(gw.wsUrl);
  const ids: number[] = [];
  for (let i = 0; i < 1000; i++) ids.push(c.sendRequest(`subscribe.abuse.h.${i}`));
  for (const id of ids) {
    const resp = await c.response(id, 10_000);
    assert.ok(resp.result !== undefined || resp.error !== undefined);
  }
  // Events with hostile payloads on a subscribed resource.
  for (let i = 0; i < 200; i++) {
    service.event(
      `abuse.h.${pick(r, 1000)}`,
      ["change", "add", "remove", "custom", "delete"][pick(r, 5)] ?? "x",
      undefined,
      HOSTILE_REPLIES[pick(r, HOSTILE_REPLIES.length)],
    );
  }
  await service.flush();
  assert.ok(alive(gw.pid));
  assert.deepEqual(await c.result("version"), { protocol: "1.2.3" });
  c.close();
});

test("after large resources leave the cache, the idle gateway collects its garbage", async () => {
  // A gateway of its own, logging at debug level, which reports each idle collection.
  const debugGw = await GatewayProcess.start(nats.url, ["-D"]);
  try {
    const blob = "x".repeat(900 * 1024);
    service.handle("get.abuse.large.>", (r) => r.model({ blob }));
    const c = await TestClient.connect(debugGw.wsUrl);
    const rids = Array.from({ length: 40 }, (_, i) => `abuse.large.${i}`);
    for (const rid of rids) await c.request(`subscribe.${rid}`);
    for (const rid of rids) await c.request(`unsubscribe.${rid}`);
    c.close();
    // 36 MB of values leave the cache after the 5 s unsubscribe delay; the next quiet
    // heap check (every 2 s) collects.
    await waitFor(() => debugGw.output.includes("idle garbage collection"), 15_000, "idle GC");
  } finally {
    assert.equal(await debugGw.stop(), 0);
  }
});
