// Query resources (`<name>?<query>`): the query in access and get requests, the
// normalized query in the get reply, and the cached resources that query forms
// share (Resgate's test/12query_subscribe_test.go,
// server/rescache/resourceSubscription.go processGetResponse).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  COLLECTION,
  MODEL,
  QUIET_MS,
  body,
  connectVersion,
  expectEvent,
  noRequestSoon,
  subscribe,
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

const EVENT = { foo: "bar" };

/** Subscribes to a cached resource: only an access request is expected. */
async function subscribeCached(
  c: TestClient,
  rid: string,
  expected: Record<string, unknown>,
): Promise<string> {
  const q = rid.indexOf("?");
  const name = q < 0 ? rid : rid.slice(0, q);
  const id = c.sendRequest(`subscribe.${rid}`);
  const access = await env.service.next(`access.${name}`);
  const query = q < 0 ? {} : { query: rid.slice(q + 1) };
  assert.deepEqual(body(access), { token: null, ...query, cid: access.cid });
  access.access(true);
  assert.deepEqual(await c.response(id), { id, result: expected });
  return access.cid;
}

test("a query rid answered without a query shares the plain resource", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model?q=foo&f=bar`;
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`subscribe.${rid}`);
  const access = await env.service.next(`access.${p}.model`);
  const get = await env.service.next(`get.${p}.model`);
  assert.deepEqual(body(access), { token: null, query: "q=foo&f=bar", cid: access.cid });
  assert.deepEqual(body(get), { query: "q=foo&f=bar" });
  get.model(MODEL);
  access.access(true);
  assert.deepEqual(await c.response(id), { id, result: { models: { [rid]: MODEL } } });
  // Events on the plain resource reach the query subscription.
  env.service.event(`${p}.model`, "custom", EVENT);
  await expectEvent(c, `${rid}.custom`, EVENT);
  // The plain resource is served from the cache.
  const c2 = await connectVersion(env, t);
  await subscribeCached(c2, `${p}.model`, { models: { [`${p}.model`]: MODEL } });
  await noRequestSoon(env, `get.${p}.model`);
});

test("a plain rid answered with a query becomes a query resource", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`subscribe.${p}.model`);
  const access = await env.service.next(`access.${p}.model`);
  const get = await env.service.next(`get.${p}.model`);
  assert.deepEqual(body(access), { token: null, cid: access.cid });
  assert.equal(get.raw, "{}");
  get.model(MODEL, "q=foo&f=bar");
  access.access(true);
  assert.deepEqual(await c.response(id), { id, result: { models: { [`${p}.model`]: MODEL } } });
  // Resource events are not applied to query resources.
  env.service.event(`${p}.model`, "custom", EVENT);
  await c.noEvent(QUIET_MS);
  // The query form it was normalized to is served from the cache.
  const c2 = await connectVersion(env, t);
  const rid = `${p}.model?q=foo&f=bar`;
  await subscribeCached(c2, rid, { models: { [rid]: MODEL } });
});

test("events on the plain resource do not reach query subscriptions", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, {
    query: "q=foo&f=bar",
    normalized: "q=foo&f=bar",
    model: MODEL,
  });
  env.service.event(`${p}.model`, "custom", EVENT);
  env.service.event(`${p}.model`, "change", { values: { string: "bar" } });
  await c.noEvent(QUIET_MS);
  await noRequestSoon(env, `get.${p}.model`, `access.${p}.model`);
});

test("a query normalized to another query is subscribed under the client's rid", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, {
    query: "q=foo&f=bar&ignore=true",
    normalized: "q=foo&f=bar",
    model: MODEL,
  });
  env.service.event(`${p}.model`, "custom", EVENT);
  await c.noEvent(QUIET_MS);
});

test("a query resource is served from the cache to another client", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model?q=foo&f=bar`;
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, {
    query: "q=foo&f=bar",
    normalized: "q=foo&f=bar",
    model: MODEL,
  });
  const c2 = await connectVersion(env, t);
  await subscribeCached(c2, rid, { models: { [rid]: MODEL } });
  await noRequestSoon(env, `get.${p}.model`);
});

test("the normalized query and the original form are both served from the cache", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, {
    query: "q=foo&f=bar&ignore=true",
    normalized: "f=bar&q=foo",
    model: MODEL,
  });
  const c2 = await connectVersion(env, t);
  const normalized = `${p}.model?f=bar&q=foo`;
  await subscribeCached(c2, normalized, { models: { [normalized]: MODEL } });
  const c3 = await connectVersion(env, t);
  const original = `${p}.model?q=foo&f=bar&ignore=true`;
  await subscribeCached(c3, original, { models: { [original]: MODEL } });
  await noRequestSoon(env, `get.${p}.model`);
  env.service.event(`${p}.model`, "custom", EVENT);
  await c2.noEvent(QUIET_MS);
  await c3.noEvent(QUIET_MS);
});

test("a new query form normalized to a cached query gets its own get but the cached data", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, {
    query: "q=foo",
    normalized: "q=foo",
    model: MODEL,
  });
  const c2 = await connectVersion(env, t);
  const rid = `${p}.model?q=foo&other=1`;
  const id = c2.sendRequest(`subscribe.${rid}`);
  const access = await env.service.next(`access.${p}.model`);
  const get = await env.service.next(`get.${p}.model`);
  assert.deepEqual(body(get), { query: "q=foo&other=1" });
  access.access(true);
  get.model({ string: "newer" }, "q=foo");
  assert.deepEqual(await c2.response(id), { id, result: { models: { [rid]: MODEL } } });
});

test("different queries get their own access and get requests", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, {
    query: "q=foo&f=bar",
    normalized: "q=foo&f=bar",
    model: MODEL,
  });
  await subscribeQuery(env, c, `${p}.model`, {
    query: "q=foo&f=baz",
    normalized: "q=foo&f=baz",
    model: { other: true },
  });
});

test("a long query is passed as it is", async (t) => {
  const p = env.prefix();
  const q = "q=" + "a".repeat(10000);
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, { query: q, normalized: q, model: MODEL });
});

test("a query with dots, spaces and question marks is passed as it is", async (t) => {
  const p = env.prefix();
  const q = "q=a.b c?d&e=%20";
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, { query: q, normalized: q, model: MODEL });
});

test("an empty query is no query", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model?`;
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`subscribe.${rid}`);
  const access = await env.service.next(`access.${p}.model`);
  const get = await env.service.next(`get.${p}.model`);
  assert.deepEqual(body(access), { token: null, cid: access.cid });
  assert.equal(get.raw, "{}");
  access.access(true);
  get.model(MODEL);
  assert.deepEqual(await c.response(id), { id, result: { models: { [rid]: MODEL } } });
  env.service.event(`${p}.model`, "custom", EVENT);
  await expectEvent(c, `${rid}.custom`, EVENT);
});

test("a query collection is fetched with its query", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.collection`, {
    query: "q=foo&f=bar",
    normalized: "q=foo&f=bar",
    collection: COLLECTION,
  });
  const c2 = await connectVersion(env, t);
  const rid = `${p}.collection?q=foo&f=bar`;
  await subscribeCached(c2, rid, { collections: { [rid]: COLLECTION } });
});

test("a reference to a query resource is fetched with the query, without access", async (t) => {
  const p = env.prefix();
  const parent = `${p}.model.query.parent`;
  const child = `${p}.model?foo=bar`;
  const parentModel = { name: "queryparent", child: { rid: child } };
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`subscribe.${parent}`);
  (await env.service.next(`get.${parent}`)).model(parentModel);
  (await env.service.next(`access.${parent}`)).access(true);
  const get = await env.service.next(`get.${p}.model`);
  assert.deepEqual(body(get), { query: "foo=bar" });
  get.model(MODEL, "foo=bar");
  assert.deepEqual(await c.response(id), {
    id,
    result: { models: { [child]: MODEL, [parent]: parentModel } },
  });
  await noRequestSoon(env, `access.${p}.model`);
});

test("a query resource leaves the cache when its last subscriber goes", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model?q=foo`;
  const served = { query: "q=foo", normalized: "q=foo", model: MODEL };
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, served);
  const r = await c.request(`unsubscribe.${rid}`);
  assert.deepEqual(r, { id: r.id });
  // Fetched again at once, though plain resources stay cached for a while.
  await subscribeQuery(env, c, `${p}.model`, served);
});

test("a plain resource stays cached after its last subscriber goes", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  await subscribe(env, c, rid, { model: MODEL });
  const r = await c.request(`unsubscribe.${rid}`);
  assert.deepEqual(r, { id: r.id });
  await subscribeCached(c, rid, { models: { [rid]: MODEL } });
  await noRequestSoon(env, `get.${rid}`);
});

test("a query resource with a subscriber left stays cached", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model?q=foo`;
  const served = { query: "q=foo", normalized: "q=foo", model: MODEL };
  const c1 = await connectVersion(env, t);
  const c2 = await connectVersion(env, t);
  await subscribeQuery(env, c1, `${p}.model`, served);
  await subscribeCached(c2, rid, { models: { [rid]: MODEL } });
  const r = await c1.request(`unsubscribe.${rid}`);
  assert.deepEqual(r, { id: r.id });
  await subscribeCached(c1, rid, { models: { [rid]: MODEL } });
  await noRequestSoon(env, `get.${p}.model`);
});

test("a call on a query rid goes to the resource name with the query", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await subscribeQuery(env, c, `${p}.model`, {
    query: "q=foo",
    normalized: "q=foo",
    model: MODEL,
  });
  // The subscription has get access only; the call is checked against it.
  const r = await c.request(`call.${p}.model?q=foo.method`);
  assert.deepEqual(r, {
    id: r.id,
    error: { code: "system.accessDenied", message: "Access denied" },
  });
  // Another query form is another subscription: new access request.
  const id = c.sendRequest(`call.${p}.model?q=bar.method`, { a: 1 });
  const access = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(access), { token: null, query: "q=bar", cid });
  access.access(true, "*");
  const call = await env.service.next(`call.${p}.model.method`);
  assert.deepEqual(body(call), { params: { a: 1 }, token: null, query: "q=bar", cid });
  call.result(null);
  assert.deepEqual(await c.response(id), { id, result: { payload: null } });
});
