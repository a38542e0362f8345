// Reaccess events (`event.<rid>.reaccess`): every direct subscription of the
// resource checks its access again and is unsubscribed when denied (Resgate's
// test/10reaccess_event_test.go, server/subscription.go reaccess/handleReaccess,
// server/rescache/eventSubscription.go enqueueEvent).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  MODEL,
  QUIET_MS,
  body,
  connectVersion,
  expectEvent,
  noRequestSoon,
  subscribe,
  subscribeParent,
  subscribeQuery,
} from "../support/calls-helpers.js";
import { TestEnv } from "../support/env.js";
import type { TestClient } from "../support/ws-client.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({
    config: { requestTimeout: 500 },
  });
});
after(async () => {
  await env.stop();
});

const accessDenied = { code: "system.accessDenied", message: "Access denied" };
const EVENT = { foo: "bar" };

async function expectCustom(c: TestClient, rid: string): Promise<void> {
  env.service.event(rid, "custom", EVENT);
  await expectEvent(c, `${rid}.custom`, EVENT);
}

async function noCustom(c: TestClient, rid: string): Promise<void> {
  env.service.event(rid, "custom", EVENT);
  await c.noEvent(QUIET_MS);
}

test("a reaccess event sends an access request; granted access sends nothing", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await subscribe(env, c, `${p}.model`, { model: MODEL });
  env.service.event(`${p}.model`, "reaccess");
  const access = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(access), { token: null, cid });
  access.access(true);
  await c.noEvent(QUIET_MS);
  await expectCustom(c, `${p}.model`);
});

test("a reaccess event with a payload is handled the same", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await subscribe(env, c, `${p}.model`, { model: MODEL });
  env.service.event(`${p}.model`, "reaccess", { foo: "bar" });
  const access = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(access), { token: null, cid });
  access.access(true);
  await c.noEvent(QUIET_MS);
});

test("reaccess on a parent keeps parent and child when access is granted", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeParent(env, c, { parent: `${p}.model.parent`, child: `${p}.model` });
  env.service.event(`${p}.model.parent`, "reaccess");
  (await env.service.next(`access.${p}.model.parent`)).access(true);
  await c.noEvent(QUIET_MS);
  await expectCustom(c, `${p}.model`);
  await expectCustom(c, `${p}.model.parent`);
  await noRequestSoon(env, `access.${p}.model`);
});

for (const [name, deny, reason] of [
  ["get false", '{"result":{"get":false}}', accessDenied],
  [
    "an access denied error",
    '{"error":{"code":"system.accessDenied","message":"Access denied"}}',
    accessDenied,
  ],
  [
    "a custom error",
    '{"error":{"code":"custom.error","message":"Custom","data":{"a":1}}}',
    { code: "custom.error", message: "Custom", data: { a: 1 } },
  ],
  ["a timeout", "timeout", { code: "system.timeout", message: "Request timeout" }],
] as const) {
  test(`reaccess answered with ${name} unsubscribes parent and child`, async (t) => {
    const p = env.prefix();
    const c = await connectVersion(env, t);
    await subscribeParent(env, c, { parent: `${p}.model.parent`, child: `${p}.model` });
    env.service.event(`${p}.model.parent`, "reaccess");
    const access = await env.service.next(`access.${p}.model.parent`);
    if (deny !== "timeout") access.respondRaw(deny);
    await expectEvent(c, `${p}.model.parent.unsubscribe`, { reason });
    await noCustom(c, `${p}.model`);
    await noCustom(c, `${p}.model.parent`);
    const r = await c.request(`unsubscribe.${p}.model.parent`);
    assert.deepEqual(r, {
      id: r.id,
      error: { code: "system.noSubscription", message: "No subscription" },
    });
  });
}

test("unsubscribing a parent of an earlier subscribed child sends no access request", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL });
  const parentModel = { name: "parent", child: { rid: `${p}.model` } };
  const id = c.sendRequest(`subscribe.${p}.model.parent`);
  (await env.service.next(`access.${p}.model.parent`)).access(true);
  (await env.service.next(`get.${p}.model.parent`)).model(parentModel);
  assert.deepEqual(await c.response(id), {
    id,
    result: { models: { [`${p}.model.parent`]: parentModel } },
  });
  const r = await c.request(`unsubscribe.${p}.model.parent`);
  assert.deepEqual(r, { id: r.id });
  await expectCustom(c, `${p}.model`);
  await noRequestSoon(env, `access.${p}.model`);
});

test("while reaccess is pending, events on the resource wait but events on references do not", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeParent(env, c, { parent: `${p}.model.parent`, child: `${p}.model` });
  env.service.event(`${p}.model.parent`, "reaccess");
  const access = await env.service.next(`access.${p}.model.parent`);
  env.service.event(`${p}.model.parent`, "custom", EVENT);
  env.service.event(`${p}.model`, "custom", EVENT);
  await expectEvent(c, `${p}.model.custom`, EVENT);
  await c.noEvent(QUIET_MS);
  access.access(true);
  await expectEvent(c, `${p}.model.parent.custom`, EVENT);
});

test("while reaccess is pending, a change event waits and is then applied", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL });
  env.service.event(`${p}.model`, "reaccess");
  const access = await env.service.next(`access.${p}.model`);
  env.service.event(`${p}.model`, "change", { values: { string: "bar" } });
  await c.noEvent(QUIET_MS);
  access.access(true);
  await expectEvent(c, `${p}.model.change`, { values: { string: "bar" } });
});

test("while reaccess is pending, a denial drops the waiting events", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL });
  env.service.event(`${p}.model`, "reaccess");
  const access = await env.service.next(`access.${p}.model`);
  env.service.event(`${p}.model`, "custom", EVENT);
  await c.noEvent(QUIET_MS);
  access.access(false);
  await expectEvent(c, `${p}.model.unsubscribe`, { reason: accessDenied });
  await c.noEvent(QUIET_MS);
});

for (const granted of [false, true]) {
  test(`a reaccess event before the get reply is handled after loading (${granted ? "granted" : "denied"})`, async (t) => {
    const p = env.prefix();
    const c = await connectVersion(env, t);
    const id = c.sendRequest(`subscribe.${p}.model`);
    const first = await env.service.next(`access.${p}.model`);
    const get = await env.service.next(`get.${p}.model`);
    first.access(true);
    env.service.event(`${p}.model`, "reaccess");
    await noRequestSoon(env, `access.${p}.model`);
    get.model(MODEL);
    assert.deepEqual(await c.response(id), { id, result: { models: { [`${p}.model`]: MODEL } } });
    const second = await env.service.next(`access.${p}.model`);
    assert.deepEqual(body(second), { token: null, cid: first.cid });
    second.access(granted);
    if (granted) {
      await c.noEvent(QUIET_MS);
      await expectCustom(c, `${p}.model`);
    } else {
      await expectEvent(c, `${p}.model.unsubscribe`, { reason: accessDenied });
      await noCustom(c, `${p}.model`);
    }
  });
}

test("several reaccess events while loading give one access request", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`subscribe.${p}.model`);
  const first = await env.service.next(`access.${p}.model`);
  const get = await env.service.next(`get.${p}.model`);
  first.access(true);
  env.service.event(`${p}.model`, "reaccess");
  env.service.event(`${p}.model`, "reaccess");
  await env.service.flush();
  get.model(MODEL);
  await c.response(id);
  (await env.service.next(`access.${p}.model`)).access(true);
  await noRequestSoon(env, `access.${p}.model`);
  await expectCustom(c, `${p}.model`);
});

test("several reaccess events while one is pending give one more access request", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL });
  env.service.event(`${p}.model`, "reaccess");
  const first = await env.service.next(`access.${p}.model`);
  env.service.event(`${p}.model`, "reaccess");
  env.service.event(`${p}.model`, "reaccess");
  await noRequestSoon(env, `access.${p}.model`);
  first.access(true);
  (await env.service.next(`access.${p}.model`)).access(true);
  await noRequestSoon(env, `access.${p}.model`);
});

test("reaccess on a resource referencing itself sends an access request", async (t) => {
  const p = env.prefix();
  const rid = `${p}.m.a`;
  const model = { a: { rid } };
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`subscribe.${rid}`);
  (await env.service.next(`get.${rid}`)).model(model);
  (await env.service.next(`access.${rid}`)).access(true);
  assert.deepEqual(await c.response(id), { id, result: { models: { [rid]: model } } });
  env.service.event(rid, "reaccess");
  (await env.service.next(`access.${rid}`)).access(true);
  await c.noEvent(QUIET_MS);
});

test("reaccess on an indirectly subscribed resource sends no access request", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeParent(env, c, { parent: `${p}.model.parent`, child: `${p}.model` });
  env.service.event(`${p}.model`, "reaccess");
  await expectCustom(c, `${p}.model`);
  await noRequestSoon(env, `access.${p}.model`, `access.${p}.model.parent`);
});

test("reaccess on an indirect subscription forgets its call access", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeParent(env, c, { parent: `${p}.model.parent`, child: `${p}.model` });
  const call = async () => {
    const id = c.sendRequest(`call.${p}.model.method`);
    (await env.service.next(`call.${p}.model.method`)).result(null);
    assert.deepEqual(await c.response(id), { id, result: { payload: null } });
  };
  const first = c.sendRequest(`call.${p}.model.method`);
  (await env.service.next(`access.${p}.model`)).access(false, "*");
  (await env.service.next(`call.${p}.model.method`)).result(null);
  await c.response(first);
  await call(); // the access is kept
  assert.equal(env.service.requests(`access.${p}.model`).length, 1);

  env.service.event(`${p}.model`, "reaccess");
  await expectCustom(c, `${p}.model`); // the reaccess event has been handled
  const id = c.sendRequest(`call.${p}.model.method`);
  (await env.service.next(`access.${p}.model`)).access(true, "*");
  (await env.service.next(`call.${p}.model.method`)).result(1);
  assert.deepEqual(await c.response(id), { id, result: { payload: 1 } });
});

test("the access from a reaccess replaces the call access of a subscription", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL, access: { get: true, call: "*" } });
  env.service.event(`${p}.model`, "reaccess");
  (await env.service.next(`access.${p}.model`)).access(true);
  await c.noEvent(QUIET_MS);
  const r = await c.request(`call.${p}.model.method`);
  assert.deepEqual(r, { id: r.id, error: accessDenied });
  assert.equal(env.service.requests(`access.${p}.model`).length, 2);
  assert.equal(env.service.requests(`call.${p}.model.method`).length, 0);
});

test("reaccess re-checks the subscription of every connection", async (t) => {
  const p = env.prefix();
  const c1 = await connectVersion(env, t);
  const c2 = await connectVersion(env, t);
  const cid1 = await subscribe(env, c1, `${p}.model`, { model: MODEL });
  const id = c2.sendRequest(`subscribe.${p}.model`);
  const a2 = await env.service.next(`access.${p}.model`);
  a2.access(true);
  await c2.response(id);
  const cid2 = a2.cid;

  env.service.event(`${p}.model`, "reaccess");
  const x = await env.service.next(`access.${p}.model`);
  const y = await env.service.next(`access.${p}.model`);
  const byCid = new Map([x, y].map((r) => [r.cid, r]));
  assert.deepEqual([...byCid.keys()].sort(), [cid1, cid2].sort());
  byCid.get(cid1)?.access(true);
  byCid.get(cid2)?.access(false);
  await expectEvent(c2, `${p}.model.unsubscribe`, { reason: accessDenied });
  await c1.noEvent(QUIET_MS);
  await expectCustom(c1, `${p}.model`);
  await c2.noEvent(QUIET_MS);
});

test("reaccess on a query resource name re-checks only the plain resource's subscriptions", async (t) => {
  // Resgate hands resource events, reaccess included, only to the plain resource
  // (server/rescache/eventSubscription.go enqueueEvent: `e.base == nil ||
  // e.base.query != ""` returns), so query subscriptions are not re-checked.
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, {
    query: "q=foo",
    normalized: "q=foo",
    model: MODEL,
  });
  const cid = await subscribe(env, c, `${p}.model`, { model: MODEL });
  env.service.event(`${p}.model`, "reaccess");
  const access = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(access), { token: null, cid });
  access.access(true);
  await noRequestSoon(env, `access.${p}.model`);
});

test("reaccess on a name with only query subscriptions sends no access request", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, {
    query: "q=foo",
    normalized: "q=foo",
    model: MODEL,
  });
  env.service.event(`${p}.model`, "reaccess");
  await noRequestSoon(env, `access.${p}.model`);
});

test("reaccess on a plain rid whose get reply named a query sends no access request", async (t) => {
  // The plain name is then a link to the query resource (Resgate:
  // eventSubscription.go enqueueEvent drops events when e.base.query != "").
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, { query: "", normalized: "foo=bar", model: MODEL });
  env.service.event(`${p}.model`, "reaccess");
  await noRequestSoon(env, `access.${p}.model`);
});

test("a reaccess event with a malformed payload is dropped", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL });
  env.service.event(`${p}.model`, "reaccess", undefined, "{broken");
  await noRequestSoon(env, `access.${p}.model`);
  await expectCustom(c, `${p}.model`);
});
