// Query events (`event.<name>.query` with a subject): a query request per cached
// query resource, and the reply's events, or a full model/collection reply turned
// into events, for that query's subscribers (Resgate's test/13query_event_test.go,
// server/rescache/eventSubscription.go handleQueryEvent, codec.go
// DecodeEventQueryResponse).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  COLLECTION,
  MODEL,
  QUIET_MS,
  body,
  connectVersion,
  expectEvent,
  expectEventsAnyOrder,
  noRequestSoon,
  sleep,
  subscribe,
  subscribeQuery,
} from "../support/calls-helpers.js";
import { TestEnv } from "../support/env.js";
import type { ServiceRequest } from "../support/service.js";
import type { TestClient } from "../support/ws-client.js";

const REQUEST_TIMEOUT = 500;

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({
    config: { requestTimeout: REQUEST_TIMEOUT },
  });
});
after(async () => {
  await env.stop();
});

const deleted = { code: "system.deleted", message: "Deleted" };

/** Listens on a fresh subject and sends a query event naming it. */
async function queryEvent(name: string, subject: string): Promise<void> {
  await env.service.listenTo(subject);
  env.service.event(name, "query", { subject });
}

function query(req: ServiceRequest): unknown {
  return (body(req) as Record<string, unknown>)["query"];
}

/** Takes `n` query requests on `subject`, keyed by their query. */
async function queryRequests(subject: string, n: number): Promise<Map<unknown, ServiceRequest>> {
  const out = new Map<unknown, ServiceRequest>();
  for (let i = 0; i < n; i++) {
    const req = await env.service.next(subject);
    assert.deepEqual(Object.keys(body(req) as object), ["query"]);
    out.set(query(req), req);
  }
  assert.equal(out.size, n, "distinct queries");
  return out;
}

async function subscribeModelQuery(
  c: TestClient,
  p: string,
  q: { query: string; normalized: string },
): Promise<string> {
  return subscribeQuery(env, c, `${p}.model`, { ...q, model: MODEL });
}

async function subscribeCollectionQuery(
  c: TestClient,
  p: string,
  q: { query: string; normalized: string },
): Promise<string> {
  return subscribeQuery(env, c, `${p}.collection`, { ...q, collection: COLLECTION });
}

const FOO_BAR = { query: "q=foo&f=bar", normalized: "q=foo&f=bar" };
const FOO_BAZ = { query: "q=foo&f=baz", normalized: "q=foo&f=baz" };

for (const kind of ["model", "collection"] as const) {
  const sub = kind === "model" ? subscribeModelQuery : subscribeCollectionQuery;

  test(`${kind} query event sends a query request with the normalized query`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const c = await connectVersion(env, t);
    await sub(c, p, FOO_BAR);
    await queryEvent(`${p}.${kind}`, subject);
    const req = await env.service.next(subject);
    assert.deepEqual(body(req), { query: "q=foo&f=bar" });
    req.result({ events: [] });
    await c.noEvent(QUIET_MS);
    await noRequestSoon(env, subject);
  });

  test(`${kind} query reply without events sends nothing`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const c = await connectVersion(env, t);
    await sub(c, p, FOO_BAR);
    await queryEvent(`${p}.${kind}`, subject);
    (await env.service.next(subject)).result({});
    await c.noEvent(QUIET_MS);
  });

  test(`${kind} query event on two queries sends a request for each`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const c = await connectVersion(env, t);
    await sub(c, p, FOO_BAR);
    await sub(c, p, FOO_BAZ);
    await queryEvent(`${p}.${kind}`, subject);
    const reqs = await queryRequests(subject, 2);
    assert.deepEqual([...reqs.keys()].sort(), ["q=foo&f=bar", "q=foo&f=baz"]);
    for (const r of reqs.values()) r.result({});
    await c.noEvent(QUIET_MS);
    await noRequestSoon(env, subject);
  });

  test(`${kind} query event on forms with one normalized query sends one request`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const c = await connectVersion(env, t);
    await sub(c, p, { query: "q=foo&f=bar", normalized: "f=bar&q=foo" });
    await sub(c, p, { query: "f=bar&q=foo&fake=1", normalized: "f=bar&q=foo" });
    await queryEvent(`${p}.${kind}`, subject);
    const req = await env.service.next(subject);
    assert.deepEqual(body(req), { query: "f=bar&q=foo" });
    req.result({});
    await c.noEvent(QUIET_MS);
    await noRequestSoon(env, subject);
  });

  test(`${kind} query event sends no request for a subscription without query`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const c = await connectVersion(env, t);
    const rid = `${p}.${kind}`;
    await subscribe(env, c, rid, kind === "model" ? { model: MODEL } : { collection: COLLECTION });
    await queryEvent(rid, subject);
    await noRequestSoon(env, subject);
    await c.noEvent(QUIET_MS);
  });

  test(`${kind} query event answered with notFound deletes the query resource`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const rid = `${p}.${kind}?q=foo&f=bar`;
    const c = await connectVersion(env, t);
    await sub(c, p, FOO_BAR);
    await queryEvent(`${p}.${kind}`, subject);
    (await env.service.next(subject)).error("system.notFound", "Not found");
    await expectEvent(c, `${rid}.delete`, null);
    await expectEvent(c, `${rid}.unsubscribe`, { reason: deleted });
    await queryEvent(`${p}.${kind}`, `${subject}2`);
    await noRequestSoon(env, `${subject}2`);
  });

  for (const [name, reply] of [
    ["an internal error", '{"error":{"code":"system.internalError","message":"Internal error"}}'],
    ["a custom error", '{"error":{"code":"custom.error","message":"Custom"}}'],
    ["a timeout", "timeout"],
  ] as const) {
    test(`${kind} query event answered with ${name} changes nothing`, async (t) => {
      const p = env.prefix();
      const subject = `_${p}_EVENT_01_`;
      const c = await connectVersion(env, t);
      await sub(c, p, FOO_BAR);
      await queryEvent(`${p}.${kind}`, subject);
      const req = await env.service.next(subject);
      if (reply === "timeout") await sleep(REQUEST_TIMEOUT + 100);
      else req.respondRaw(reply);
      await c.noEvent(QUIET_MS);
      // Later query events are handled as usual.
      await queryEvent(`${p}.${kind}`, `${subject}2`);
      (await env.service.next(`${subject}2`)).result({ events: [] });
    });
  }

  test(`${kind} query reply with a delete event deletes; later events are ignored`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const rid = `${p}.${kind}?q=foo&f=bar`;
    const c = await connectVersion(env, t);
    await sub(c, p, FOO_BAR);
    await queryEvent(`${p}.${kind}`, subject);
    const later =
      kind === "model"
        ? { event: "change", data: { values: { string: "bar", int: -12 } } }
        : { event: "add", data: { idx: 1, value: "bar" } };
    (await env.service.next(subject)).result({ events: [{ event: "delete" }, later] });
    await expectEvent(c, `${rid}.delete`, null);
    await expectEvent(c, `${rid}.unsubscribe`, { reason: deleted });
    await c.noEvent(QUIET_MS);
    await queryEvent(`${p}.${kind}`, `${subject}2`);
    await noRequestSoon(env, `${subject}2`);
  });

  test(`${kind} query events for clients with different queries`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const c1 = await connectVersion(env, t);
    const c2 = await connectVersion(env, t);
    await sub(c1, p, FOO_BAR);
    await sub(c2, p, { query: "q=zoo&f=baz", normalized: "q=zoo&f=baz" });
    await queryEvent(`${p}.${kind}`, subject);
    const reqs = await queryRequests(subject, 2);
    assert.deepEqual([...reqs.keys()].sort(), ["q=foo&f=bar", "q=zoo&f=baz"]);
    const custom = { event: "custom", data: { n: 1 } };
    reqs.get("q=zoo&f=baz")?.result({ events: [custom] });
    reqs.get("q=foo&f=bar")?.result({ events: [] });
    await expectEvent(c2, `${p}.${kind}?q=zoo&f=baz.custom`, { n: 1 });
    await c1.noEvent(QUIET_MS);
  });

  test(`${kind} query event before the get reply sends no request`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const c = await connectVersion(env, t);
    const rid = `${p}.${kind}?foo=bar`;
    const id = c.sendRequest(`subscribe.${rid}`);
    const access = await env.service.next(`access.${p}.${kind}`);
    const get = await env.service.next(`get.${p}.${kind}`);
    await queryEvent(`${p}.${kind}`, subject);
    await noRequestSoon(env, subject);
    if (kind === "model") get.model(MODEL, "foo=baz");
    else get.collection(COLLECTION, "foo=baz");
    access.access(true);
    const group = kind === "model" ? "models" : "collections";
    const value = kind === "model" ? MODEL : COLLECTION;
    assert.deepEqual(await c.response(id), { id, result: { [group]: { [rid]: value } } });
    await c.noEvent(QUIET_MS);
    await noRequestSoon(env, subject);
  });
}

// ---- models --------------------------------------------------------------------

const CHANGE = { values: { string: "bar", int: -12 } };

test("model query reply with a change event sends it on the query rid", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeModelQuery(c, p, FOO_BAR);
  await queryEvent(`${p}.model`, subject);
  (await env.service.next(subject)).result({ events: [{ event: "change", data: CHANGE }] });
  await expectEvent(c, `${p}.model?q=foo&f=bar.change`, CHANGE);
  await c.noEvent(QUIET_MS);
});

test("model query reply events go to every form normalized to the query", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeModelQuery(c, p, { query: "q=foo&f=bar", normalized: "f=bar&q=foo" });
  await subscribeModelQuery(c, p, { query: "f=bar&q=foo&fake=1", normalized: "f=bar&q=foo" });
  await queryEvent(`${p}.model`, subject);
  (await env.service.next(subject)).result({ events: [{ event: "change", data: CHANGE }] });
  await expectEventsAnyOrder(c, [
    { event: `${p}.model?q=foo&f=bar.change`, data: CHANGE },
    { event: `${p}.model?f=bar&q=foo&fake=1.change`, data: CHANGE },
  ]);
  await noRequestSoon(env, subject);
});

test("model query reply updates the cached query model", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeModelQuery(c, p, FOO_BAR);
  await queryEvent(`${p}.model`, subject);
  (await env.service.next(subject)).result({ events: [{ event: "change", data: CHANGE }] });
  await expectEvent(c, `${p}.model?q=foo&f=bar.change`, CHANGE);
  const c2 = await connectVersion(env, t);
  const rid = `${p}.model?q=foo&f=bar`;
  const id = c2.sendRequest(`subscribe.${rid}`);
  (await env.service.next(`access.${p}.model`)).access(true);
  assert.deepEqual(await c2.response(id), {
    id,
    result: { models: { [rid]: { string: "bar", int: -12, bool: true, null: null } } },
  });
  await noRequestSoon(env, `get.${p}.model`);
});

test("model query replies for two queries each change their own query", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeModelQuery(c, p, FOO_BAR);
  await subscribeModelQuery(c, p, FOO_BAZ);
  await queryEvent(`${p}.model`, subject);
  const reqs = await queryRequests(subject, 2);
  const change = (s: string) => ({ event: "change", data: { values: { string: s } } });
  reqs.get("q=foo&f=bar")?.result({ events: [change("barbar")] });
  reqs.get("q=foo&f=baz")?.result({ events: [change("barbaz")] });
  await expectEventsAnyOrder(c, [
    { event: `${p}.model?q=foo&f=bar.change`, data: { values: { string: "barbar" } } },
    { event: `${p}.model?q=foo&f=baz.change`, data: { values: { string: "barbaz" } } },
  ]);
});

test("model query reply with a model sends the difference as a change event", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeModelQuery(c, p, FOO_BAR);
  await queryEvent(`${p}.model`, subject);
  (await env.service.next(subject)).result({ model: { string: "bar", int: -12, bool: true } });
  await expectEvent(c, `${p}.model?q=foo&f=bar.change`, {
    values: { string: "bar", int: -12, null: { action: "delete" } },
  });
  await c.noEvent(QUIET_MS);
});

test("model query reply with the same model sends nothing", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeModelQuery(c, p, FOO_BAR);
  await queryEvent(`${p}.model`, subject);
  (await env.service.next(subject)).result({ model: MODEL });
  await c.noEvent(QUIET_MS);
});

test("a plain rid normalized to a query gets the query events", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.model`, { query: "", normalized: "foo=bar", model: MODEL });
  await queryEvent(`${p}.model`, subject);
  const req = await env.service.next(subject);
  assert.deepEqual(body(req), { query: "foo=bar" });
  req.result({ events: [{ event: "change", data: CHANGE }] });
  await expectEvent(c, `${p}.model.change`, CHANGE);
});

const invalidModelReplies: [string, string][] = [
  ['{"events":"foo"}', "events not an array"],
  ['{"model":[]}', "model not an object"],
  ['{"collection":[]}', "a collection for a model"],
  ['{"model":{},"events":[]}', "an empty model and an empty events list"],
  ['{"model":{"string":"bar"},"events":[]}', "a model and an empty events list"],
  [
    '{"model":{},"events":[{"event":"change","data":{"values":{"string":"bar","int":-12}}}]}',
    "an empty model and events",
  ],
  [
    '{"model":{"string":"bar"},"events":[{"event":"change","data":{"values":{"string":"bar","int":-12}}}]}',
    "a model and events",
  ],
];

for (const [reply, name] of invalidModelReplies) {
  test(`model query reply with ${name} is invalid and changes nothing`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const c = await connectVersion(env, t);
    await subscribeModelQuery(c, p, FOO_BAR);
    await queryEvent(`${p}.model`, subject);
    (await env.service.next(subject)).respondRaw(`{"result":${reply}}`);
    await c.noEvent(QUIET_MS);
  });
}

for (const [name, payload] of [
  ["no payload", ""],
  ["an empty object", "{}"],
  ["broken JSON", '{"subject":BROKEN}'],
  ["a number subject", '{"subject":42}'],
  ["an empty subject", '{"subject":""}'],
] as const) {
  test(`query event with ${name} sends no request`, async (t) => {
    const p = env.prefix();
    const c = await connectVersion(env, t);
    await subscribeModelQuery(c, p, FOO_BAR);
    env.service.event(`${p}.model`, "query", undefined, payload);
    await noRequestSoon(env, `get.${p}.model`, `access.${p}.model`);
    await c.noEvent(QUIET_MS);
    // The resource still takes query events.
    const subject = `_${p}_EVENT_01_`;
    await queryEvent(`${p}.model`, subject);
    (await env.service.next(subject)).result({ events: [{ event: "change", data: CHANGE }] });
    await expectEvent(c, `${p}.model?q=foo&f=bar.change`, CHANGE);
  });
}

test("the query event's member name matches case-insensitively, as Go's JSON does", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeModelQuery(c, p, FOO_BAR);
  await env.service.listenTo(subject);
  env.service.event(`${p}.model`, "query", undefined, `{"SUBJECT":"${subject}"}`);
  const req = await env.service.next(subject, 1000);
  assert.deepEqual(body(req), { query: "q=foo&f=bar" });
  req.result({ events: [] });
});

test("query reply member names match case-insensitively, as Go's JSON does", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeModelQuery(c, p, FOO_BAR);
  await queryEvent(`${p}.model`, subject);
  (await env.service.next(subject)).respondRaw(
    '{"Result":{"EVENTS":[{"Event":"change","Data":{"values":{"string":"bar"}}}]}}',
  );
  await expectEvent(c, `${p}.model?q=foo&f=bar.change`, { values: { string: "bar" } });
});

// ---- queueing ------------------------------------------------------------------

test("other events on the resource wait until the query replies are handled", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL });
  await subscribeModelQuery(c, p, FOO_BAR);
  await queryEvent(`${p}.model`, subject);
  env.service.event(`${p}.model`, "change", CHANGE);
  const req = await env.service.next(subject);
  await c.noEvent(QUIET_MS);
  const queryChange = { values: { string: "baz", int: -13 } };
  req.result({ events: [{ event: "change", data: queryChange }] });
  await expectEvent(c, `${p}.model?q=foo&f=bar.change`, queryChange);
  await expectEvent(c, `${p}.model.change`, CHANGE);
});

test("with two query requests out, other events wait for both replies", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL });
  await subscribeModelQuery(c, p, FOO_BAR);
  await subscribeModelQuery(c, p, FOO_BAZ);
  await queryEvent(`${p}.model`, subject);
  env.service.event(`${p}.model`, "change", CHANGE);
  const reqs = await queryRequests(subject, 2);
  const change = (s: string) => ({ event: "change", data: { values: { string: s } } });
  reqs.get("q=foo&f=bar")?.result({ events: [change("barbar")] });
  await expectEvent(c, `${p}.model?q=foo&f=bar.change`, { values: { string: "barbar" } });
  await c.noEvent(QUIET_MS);
  reqs.get("q=foo&f=baz")?.result({ events: [change("barbaz")] });
  await expectEvent(c, `${p}.model?q=foo&f=baz.change`, { values: { string: "barbaz" } });
  await expectEvent(c, `${p}.model.change`, CHANGE);
});

test("a query request that times out lets the waiting events through", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL });
  await subscribeModelQuery(c, p, FOO_BAR);
  await queryEvent(`${p}.model`, subject);
  env.service.event(`${p}.model`, "change", CHANGE);
  await env.service.next(subject);
  await c.noEvent(QUIET_MS);
  await expectEvent(c, `${p}.model.change`, CHANGE, REQUEST_TIMEOUT + 1000);
});

// ---- collections ---------------------------------------------------------------

const ADD = { idx: 1, value: "bar" };
const REMOVE = { idx: 4 };

test("collection query reply with add and remove events sends them in order", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const rid = `${p}.collection?q=foo&f=bar`;
  const c = await connectVersion(env, t);
  await subscribeCollectionQuery(c, p, FOO_BAR);
  await queryEvent(`${p}.collection`, subject);
  (await env.service.next(subject)).result({
    events: [
      { event: "add", data: ADD },
      { event: "remove", data: REMOVE },
    ],
  });
  await expectEvent(c, `${rid}.add`, ADD);
  await expectEvent(c, `${rid}.remove`, REMOVE);
  // The cache holds the result.
  const c2 = await connectVersion(env, t);
  const id = c2.sendRequest(`subscribe.${rid}`);
  (await env.service.next(`access.${p}.collection`)).access(true);
  assert.deepEqual(await c2.response(id), {
    id,
    result: { collections: { [rid]: ["foo", "bar", 42, true] } },
  });
});

test("collection query reply events go to every form normalized to the query", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeCollectionQuery(c, p, { query: "q=foo&f=bar", normalized: "f=bar&q=foo" });
  await subscribeCollectionQuery(c, p, { query: "f=bar&q=foo&fake=1", normalized: "f=bar&q=foo" });
  await queryEvent(`${p}.collection`, subject);
  (await env.service.next(subject)).result({ events: [{ event: "add", data: ADD }] });
  await expectEventsAnyOrder(c, [
    { event: `${p}.collection?q=foo&f=bar.add`, data: ADD },
    { event: `${p}.collection?f=bar&q=foo&fake=1.add`, data: ADD },
  ]);
});

test("collection query replies for two queries each change their own query", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const c = await connectVersion(env, t);
  await subscribeCollectionQuery(c, p, FOO_BAR);
  await subscribeCollectionQuery(c, p, FOO_BAZ);
  await queryEvent(`${p}.collection`, subject);
  const reqs = await queryRequests(subject, 2);
  reqs.get("q=foo&f=bar")?.result({ events: [{ event: "add", data: { idx: 1, value: "bar" } }] });
  reqs.get("q=foo&f=baz")?.result({ events: [{ event: "add", data: { idx: 1, value: "baz" } }] });
  await expectEventsAnyOrder(c, [
    { event: `${p}.collection?q=foo&f=bar.add`, data: { idx: 1, value: "bar" } },
    { event: `${p}.collection?q=foo&f=baz.add`, data: { idx: 1, value: "baz" } },
  ]);
});

test("collection query reply with a collection sends the difference as events", async (t) => {
  const p = env.prefix();
  const subject = `_${p}_EVENT_01_`;
  const rid = `${p}.collection?q=foo&f=bar`;
  const c = await connectVersion(env, t);
  await subscribeCollectionQuery(c, p, FOO_BAR);
  await queryEvent(`${p}.collection`, subject);
  (await env.service.next(subject)).result({ collection: ["foo", "bar", 42, true] });
  await expectEvent(c, `${rid}.remove`, { idx: 3 });
  await expectEvent(c, `${rid}.add`, { idx: 1, value: "bar" });
  await c.noEvent(QUIET_MS);
});

const invalidCollectionReplies: [string, string][] = [
  ['{"events":"foo"}', "events not an array"],
  ['{"collection":{}}', "collection not an array"],
  ['{"model":{}}', "a model for a collection"],
  ['{"collection":[],"events":[]}', "an empty collection and an empty events list"],
  ['{"collection":["foo","bar"],"events":[]}', "a collection and an empty events list"],
  [
    '{"collection":[],"events":[{"event":"add","data":{"idx":1,"value":"bar"}}]}',
    "an empty collection and events",
  ],
  [
    '{"collection":["foo","bar"],"events":[{"event":"add","data":{"idx":1,"value":"bar"}}]}',
    "a collection and events",
  ],
];

for (const [reply, name] of invalidCollectionReplies) {
  test(`collection query reply with ${name} is invalid and changes nothing`, async (t) => {
    const p = env.prefix();
    const subject = `_${p}_EVENT_01_`;
    const c = await connectVersion(env, t);
    await subscribeCollectionQuery(c, p, FOO_BAR);
    await queryEvent(`${p}.collection`, subject);
    (await env.service.next(subject)).respondRaw(`{"result":${reply}}`);
    await c.noEvent(QUIET_MS);
  });
}
