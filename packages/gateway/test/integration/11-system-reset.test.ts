// system.reset: matching cached resources are fetched again and only the difference
// is sent (change events for models, remove/add events for collections), notFound
// deletes, and access patterns re-check access (Resgate's
// test/11system_event_test.go, server/rescache/resourceSubscription.go
// handleResetResource/processResetGetResponse/lcs, resourcePattern.go).
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
  sleep,
  subscribe,
  subscribeParent,
  subscribeQuery,
} from "../support/calls-helpers.js";
import { TestEnv } from "../support/env.js";
import type { ServiceRequest } from "../support/service.js";
import type { TestClient } from "../support/ws-client.js";

const RESET_THROTTLE = 2;

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({
    config: { requestTimeout: 500, resetThrottle: RESET_THROTTLE },
  });
});
after(async () => {
  await env.stop();
});

const accessDenied = { code: "system.accessDenied", message: "Access denied" };
const deleted = { code: "system.deleted", message: "Deleted" };
const EVENT = { foo: "bar" };

function reset(payload: unknown): void {
  env.service.publish("system.reset", payload);
}

async function expectCustom(c: TestClient, rid: string): Promise<void> {
  env.service.event(rid, "custom", EVENT);
  await expectEvent(c, `${rid}.custom`, EVENT);
}

// ---- re-fetching ---------------------------------------------------------------

test("a reset of an unchanged model sends a get request and no event", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL });
  reset({ resources: [`${p}.>`] });
  const get = await env.service.next(`get.${p}.model`);
  assert.equal(get.raw, "{}");
  get.model(MODEL);
  await c.noEvent(QUIET_MS);
  await expectCustom(c, `${p}.model`);
});

test("a reset of an unchanged collection sends a get request and no event", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.collection`, { collection: COLLECTION });
  reset({ resources: [`${p}.>`] });
  const get = await env.service.next(`get.${p}.collection`);
  assert.equal(get.raw, "{}");
  get.collection(COLLECTION);
  await c.noEvent(QUIET_MS);
});

test("a reset re-fetches a cached resource that no client subscribes to any more", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  await subscribe(env, c, rid, { model: MODEL });
  const r = await c.request(`unsubscribe.${rid}`);
  assert.deepEqual(r, { id: r.id });
  reset({ resources: [rid] });
  const get = await env.service.next(`get.${rid}`);
  assert.equal(get.raw, "{}");
  get.model({ ...MODEL, int: 1 });
  await c.noEvent(QUIET_MS);
  // The cached copy was updated.
  const id = c.sendRequest(`subscribe.${rid}`);
  (await env.service.next(`access.${rid}`)).access(true);
  assert.deepEqual(await c.response(id), {
    id,
    result: { models: { [rid]: { ...MODEL, int: 1 } } },
  });
});

type Data = Record<string, unknown> | unknown[];
interface DiffCase {
  name: string;
  /** The resource name's last part. */
  rid: string;
  data: (p: string) => Data;
  reset: (p: string) => Data;
  events: [string, unknown][];
}

// Rids in expected events are built with this placeholder prefix and then rewritten.
const p0 = "PREFIX";

const diffCases: DiffCase[] = [
  {
    name: "model unchanged",
    rid: "model",
    data: () => MODEL,
    reset: () => MODEL,
    events: [],
  },
  {
    name: "model with a changed and a missing value",
    rid: "model",
    data: () => MODEL,
    reset: () => ({ string: "bar", int: 42, bool: true }),
    events: [["change", { values: { string: "bar", null: { action: "delete" } } }]],
  },
  {
    name: "model with a new soft reference",
    rid: "model",
    data: () => MODEL,
    reset: (p) => ({ ...MODEL, child: { rid: `${p}.model`, soft: true } }),
    events: [["change", { values: { child: { rid: `${p0}.model`, soft: true } } }]],
  },
  {
    name: "model with a soft reference replaced by null",
    rid: "model.soft",
    data: (p) => ({ name: "soft", child: { rid: `${p}.model`, soft: true } }),
    reset: () => ({ name: "soft", child: null }),
    events: [["change", { values: { child: null } }]],
  },
  {
    name: "model with a changed data value",
    rid: "model",
    data: () => ({ a: 1, b: { data: { x: [1, 2] } } }),
    reset: () => ({ a: 1, b: { data: { x: [1, 3] } } }),
    events: [["change", { values: { b: { data: { x: [1, 3] } } } }]],
  },
  {
    name: "model with an unchanged data value",
    rid: "model",
    data: () => ({ a: 1, b: { data: { x: [1, 2] } } }),
    reset: () => ({ a: 1, b: { data: { x: [1, 2] } } }),
    events: [],
  },
  {
    name: "collection unchanged",
    rid: "collection",
    data: () => COLLECTION,
    reset: () => COLLECTION,
    events: [],
  },
  {
    name: "collection with a value moved",
    rid: "collection",
    data: () => COLLECTION,
    reset: () => [42, "new", true, null],
    events: [
      ["remove", { idx: 0 }],
      ["add", { idx: 1, value: "new" }],
    ],
  },
  {
    name: "collection with a soft reference added",
    rid: "collection",
    data: () => COLLECTION,
    reset: (p) => [...COLLECTION, { rid: `${p}.model`, soft: true }],
    events: [["add", { idx: 4, value: { rid: `${p0}.model`, soft: true } }]],
  },
  {
    name: "collection with a soft reference removed",
    rid: "collection.soft",
    data: (p) => ["soft", { rid: `${p}.collection`, soft: true }],
    reset: () => ["soft"],
    events: [["remove", { idx: 1 }]],
  },
  {
    name: "collection emptied: removes from the end",
    rid: "collection",
    data: () => [1, 2, 3],
    reset: () => [],
    events: [
      ["remove", { idx: 2 }],
      ["remove", { idx: 1 }],
      ["remove", { idx: 0 }],
    ],
  },
  {
    name: "collection filled: adds in order",
    rid: "collection",
    data: () => [],
    reset: () => ["a", "b"],
    events: [
      ["add", { idx: 0, value: "a" }],
      ["add", { idx: 1, value: "b" }],
    ],
  },
  {
    name: "collection reversed",
    rid: "collection",
    data: () => ["a", "b", "c"],
    reset: () => ["c", "b", "a"],
    events: [
      ["remove", { idx: 1 }],
      ["remove", { idx: 0 }],
      ["add", { idx: 1, value: "b" }],
      ["add", { idx: 2, value: "a" }],
    ],
  },
  {
    name: "collection with removes and adds on both sides of kept values",
    rid: "collection",
    data: () => [1, 2, 3, 4, 5],
    reset: () => [2, 9, 4, 5, 6],
    events: [
      ["remove", { idx: 2 }],
      ["remove", { idx: 0 }],
      ["add", { idx: 1, value: 9 }],
      ["add", { idx: 4, value: 6 }],
    ],
  },
  {
    name: "collection with every value replaced around a kept one",
    rid: "collection",
    data: () => [1, 2, 3],
    reset: () => [4, 2, 5],
    events: [
      ["remove", { idx: 2 }],
      ["remove", { idx: 0 }],
      ["add", { idx: 0, value: 4 }],
      ["add", { idx: 2, value: 5 }],
    ],
  },
];

function withPrefix(v: unknown, p: string): unknown {
  return JSON.parse(JSON.stringify(v).replaceAll(p0, p)) as unknown;
}

for (const tc of diffCases) {
  test(`reset diff: ${tc.name}`, async (t) => {
    const p = env.prefix();
    const rid = `${p}.${tc.rid}`;
    const c = await connectVersion(env, t);
    const data = tc.data(p);
    const isModel = !Array.isArray(data);
    await subscribe(env, c, rid, isModel ? { model: data } : { collection: data });
    reset({ resources: [`${p}.>`] });
    const get = await env.service.next(`get.${rid}`);
    const next = tc.reset(p);
    get.result(isModel ? { model: next } : { collection: next });
    for (const [event, payload] of tc.events) {
      await expectEvent(c, `${rid}.${event}`, withPrefix(payload, p));
    }
    await c.noEvent(QUIET_MS);
    // The cache holds the new value: a second client gets it without a get request.
    const c2 = await connectVersion(env, t);
    const id = c2.sendRequest(`subscribe.${rid}`);
    (await env.service.next(`access.${rid}`)).access(true);
    const group = isModel ? "models" : "collections";
    assert.deepEqual(await c2.response(id), { id, result: { [group]: { [rid]: next } } });
    assert.equal(env.service.requests(`get.${rid}`).length, 2);
  });
}

test("a reset compares values by their JSON text, as Resgate does (1 and 1.0 differ)", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`subscribe.${rid}`);
  (await env.service.next(`access.${rid}`)).access(true);
  (await env.service.next(`get.${rid}`)).respondRaw('{"result":{"model":{"n":1}}}');
  await c.response(id);
  reset({ resources: [rid] });
  (await env.service.next(`get.${rid}`)).respondRaw('{"result":{"model":{"n":1.0}}}');
  await expectEvent(c, `${rid}.change`, { values: { n: 1 } }, 1000);
});

for (const [query, normalized] of [
  ["foo=bar", "foo=bar"],
  ["a=b&foo=bar", "foo=bar"],
  ["", "foo=bar"],
] as const) {
  test(`a reset of a query model sends one get with the normalized query (query "${query}")`, async (t) => {
    const p = env.prefix();
    const c = await connectVersion(env, t);
    await subscribeQuery(env, c, `${p}.model`, { query, normalized, model: MODEL });
    reset({ resources: [`${p}.>`] });
    const get = await env.service.next(`get.${p}.model`);
    assert.deepEqual(body(get), { query: normalized });
    get.model(MODEL, normalized);
    await noRequestSoon(env, `get.${p}.model`);
    await c.noEvent(QUIET_MS);
  });
}

test("a reset of a query collection sends the change as events on the query rid", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeQuery(env, c, `${p}.collection`, {
    query: "q=1",
    normalized: "q=1",
    collection: COLLECTION,
  });
  reset({ resources: [`${p}.collection`] });
  const get = await env.service.next(`get.${p}.collection`);
  assert.deepEqual(body(get), { query: "q=1" });
  get.collection(["foo", 42, true], "q=1");
  await expectEvent(c, `${p}.collection?q=1.remove`, { idx: 3 });
});

// ---- errors --------------------------------------------------------------------

for (const kind of ["model", "collection"] as const) {
  test(`a reset answered with notFound deletes the ${kind}`, async (t) => {
    const p = env.prefix();
    const rid = `${p}.${kind}`;
    const c = await connectVersion(env, t);
    await subscribe(env, c, rid, kind === "model" ? { model: MODEL } : { collection: COLLECTION });
    reset({ resources: [`${p}.>`] });
    (await env.service.next(`get.${rid}`)).error("system.notFound", "Not found");
    await expectEvent(c, `${rid}.delete`, null);
    await expectEvent(c, `${rid}.unsubscribe`, { reason: deleted });
    env.service.event(rid, "custom", EVENT);
    await c.noEvent(QUIET_MS);
  });

  for (const [name, reply] of [
    ["an internal error", '{"error":{"code":"system.internalError","message":"Internal error"}}'],
    ["a custom error", '{"error":{"code":"custom.error","message":"Custom"}}'],
    [
      "the other resource type",
      kind === "model"
        ? '{"result":{"collection":["foo",42,true,null]}}'
        : '{"result":{"model":{"string":"foo"}}}',
    ],
    ["an invalid reply", '{"result":{}}'],
    ["a timeout", "timeout"],
  ] as const) {
    test(`a reset of a ${kind} answered with ${name} changes nothing`, async (t) => {
      const p = env.prefix();
      const rid = `${p}.${kind}`;
      const c = await connectVersion(env, t);
      await subscribe(
        env,
        c,
        rid,
        kind === "model" ? { model: MODEL } : { collection: COLLECTION },
      );
      reset({ resources: [`${p}.>`] });
      const get = await env.service.next(`get.${rid}`);
      if (reply !== "timeout") get.respondRaw(reply);
      else await sleep(600);
      await c.noEvent(QUIET_MS);
      await expectCustom(c, rid);
    });
  }
}

test("a reset answered with notFound on an indirect resource sends delete without unsubscribe", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeParent(env, c, { parent: `${p}.model.parent`, child: `${p}.model` });
  reset({ resources: [`${p}.model`] });
  (await env.service.next(`get.${p}.model`)).error("system.notFound", "Not found");
  await expectEvent(c, `${p}.model.delete`, null);
  await c.noEvent(QUIET_MS);
  await noRequestSoon(env, `get.${p}.model.parent`);
});

// ---- events during a reset -----------------------------------------------------

test("while a reset get is out, change events are dropped and custom events pass", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  await subscribe(env, c, rid, { model: MODEL });
  reset({ resources: [rid] });
  const get = await env.service.next(`get.${rid}`);
  env.service.event(rid, "change", { values: { string: "dropped", int: 1 } });
  env.service.event(rid, "custom", EVENT);
  env.service.event(rid, "delete");
  await expectEvent(c, `${rid}.custom`, EVENT);
  await c.noEvent(QUIET_MS);
  get.model({ ...MODEL, string: "bar" });
  await expectEvent(c, `${rid}.change`, { values: { string: "bar" } });
  await c.noEvent(QUIET_MS);
});

test("while a reset get is out on a collection, add and remove events are dropped", async (t) => {
  const p = env.prefix();
  const rid = `${p}.collection`;
  const c = await connectVersion(env, t);
  await subscribe(env, c, rid, { collection: COLLECTION });
  reset({ resources: [rid] });
  const get = await env.service.next(`get.${rid}`);
  env.service.event(rid, "add", { idx: 0, value: "dropped" });
  env.service.event(rid, "remove", { idx: 0 });
  await c.noEvent(QUIET_MS);
  get.collection(["foo", 42, true, null, "last"]);
  await expectEvent(c, `${rid}.add`, { idx: 4, value: "last" });
  await c.noEvent(QUIET_MS);
});

test("a reset of a resource still loading sends another get; its reply is diffed after loading", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`subscribe.${rid}`);
  (await env.service.next(`access.${rid}`)).access(true);
  const first = await env.service.next(`get.${rid}`);
  reset({ resources: [rid] });
  const second = await env.service.next(`get.${rid}`, 1000);
  first.model(MODEL);
  assert.deepEqual(await c.response(id), { id, result: { models: { [rid]: MODEL } } });
  second.model({ ...MODEL, int: 43 });
  await expectEvent(c, `${rid}.change`, { values: { int: 43 } });
});

// ---- patterns ------------------------------------------------------------------

const patternCases: { patterns: (p: string) => unknown[]; expected: string[] }[] = [
  { patterns: (p) => [`${p}.model`], expected: ["model"] },
  { patterns: (p) => [`${p}.*`], expected: ["model", "other"] },
  { patterns: (p) => [`${p}.>`], expected: ["model", "model.sub", "other"] },
  { patterns: (p) => [`${p}.*.sub`], expected: ["model.sub"] },
  { patterns: (p) => [`${p}.model.*`], expected: ["model.sub"] },
  { patterns: (p) => [`${p}.model.>`], expected: ["model.sub"] },
  { patterns: (p) => [`${p}.model`, `${p}.other`], expected: ["model", "other"] },
  { patterns: (p) => [`${p}.mod*`], expected: [] },
  { patterns: (p) => [`${p}.>.sub`], expected: [] },
  { patterns: (p) => [`${p}.model?`], expected: [] },
  { patterns: (p) => [`${p}..model`], expected: [] },
  { patterns: (p) => [`${p}.model.`], expected: [] },
  { patterns: (p) => [`.${p}.model`], expected: [] },
  { patterns: (p) => [`${p}.mo del`], expected: [] },
  { patterns: () => [""], expected: [] },
  { patterns: (p) => [`${p}.model.sub.>`], expected: [] },
  { patterns: (p) => [`${p}.mod*`, "", `${p}.>.x`, `${p}.other`], expected: ["other"] },
];

for (const tc of patternCases) {
  const shown = JSON.stringify(tc.patterns("p"));
  test(`reset patterns ${shown} re-fetch ${JSON.stringify(tc.expected)}`, async (t) => {
    const p = env.prefix();
    const c = await connectVersion(env, t);
    const names = ["model", "model.sub", "other"];
    for (const n of names) await subscribe(env, c, `${p}.${n}`, { model: { n } });
    reset({ resources: tc.patterns(p) });
    for (const n of tc.expected) (await env.service.next(`get.${p}.${n}`)).model({ n });
    await sleep(QUIET_MS);
    for (const n of names) {
      const count = env.service.requests(`get.${p}.${n}`).length;
      assert.equal(count, tc.expected.includes(n) ? 2 : 1, `get requests for ${p}.${n}`);
    }
  });
}

test("reset member names match case-insensitively, as Go's JSON does", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribe(env, c, `${p}.model`, { model: MODEL });
  env.service.publish("system.reset", `{"RESOURCES":["${p}.model"],"Access":["${p}.model"]}`);
  (await env.service.next(`get.${p}.model`)).model(MODEL);
  (await env.service.next(`access.${p}.model`)).access(true);
  await c.noEvent(QUIET_MS);
});

for (const payload of ['{"resources":"x.>"}', '{"resources":[42]}', "{broken", "[]"]) {
  test(`an invalid reset event is ignored: ${payload}`, async (t) => {
    const p = env.prefix();
    const c = await connectVersion(env, t);
    await subscribe(env, c, `${p}.model`, { model: MODEL });
    env.service.publish("system.reset", payload.replace("x.>", `${p}.>`));
    await noRequestSoon(env, `get.${p}.model`);
  });
}

// ---- access --------------------------------------------------------------------

test("an access reset re-checks matching direct subscriptions; granted keeps them", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await subscribeParent(env, c, { parent: `${p}.model.parent`, child: `${p}.model` });
  await subscribe(env, c, `${p}.collection`, { collection: COLLECTION });
  reset({ access: [`${p}.model.>`] });
  const access = await env.service.next(`access.${p}.model.parent`);
  assert.deepEqual(body(access), { token: null, cid });
  access.access(true);
  await noRequestSoon(env, `access.${p}.model`, `access.${p}.collection`);
  await c.noEvent(QUIET_MS);
  await expectCustom(c, `${p}.model`);
  await expectCustom(c, `${p}.model.parent`);
  await expectCustom(c, `${p}.collection`);
});

test("an access reset that denies access unsubscribes the resource", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  await subscribeParent(env, c, { parent: `${p}.model.parent`, child: `${p}.model` });
  await subscribe(env, c, `${p}.collection`, { collection: COLLECTION });
  reset({ access: [`${p}.model.>`] });
  (await env.service.next(`access.${p}.model.parent`)).access(false);
  await expectEvent(c, `${p}.model.parent.unsubscribe`, { reason: accessDenied });
  env.service.event(`${p}.model`, "custom", EVENT);
  env.service.event(`${p}.model.parent`, "custom", EVENT);
  await c.noEvent(QUIET_MS);
  await expectCustom(c, `${p}.collection`);
});

test("an access reset re-checks the subscriptions of every connection", async (t) => {
  const p = env.prefix();
  const c1 = await connectVersion(env, t);
  const c2 = await connectVersion(env, t);
  const cid1 = await subscribe(env, c1, `${p}.model`, { model: MODEL });
  const id = c2.sendRequest(`subscribe.${p}.model`);
  const a2 = await env.service.next(`access.${p}.model`);
  a2.access(true);
  await c2.response(id);
  reset({ access: [`${p}.>`] });
  const got: ServiceRequest[] = [
    await env.service.next(`access.${p}.model`),
    await env.service.next(`access.${p}.model`),
  ];
  assert.deepEqual(got.map((r) => r.cid).sort(), [cid1, a2.cid].sort());
  for (const r of got) r.access(true);
  await noRequestSoon(env, `access.${p}.model`);
});

test("an access reset re-checks query subscriptions with their query", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const model = `${p}.model`;
  const cid = await subscribeQuery(env, c, model, {
    query: "q=foo&f=1",
    normalized: "q=foo&f=1",
    model: MODEL,
  });
  await subscribeQuery(env, c, model, {
    query: "q=foo&f=2",
    normalized: "q=foo&f=2",
    model: MODEL,
  });
  reset({ access: [model] });
  const a = await env.service.next(`access.${model}`);
  const b = await env.service.next(`access.${model}`);
  assert.deepEqual(
    [body(a), body(b)].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    [
      { token: null, query: "q=foo&f=1", cid },
      { token: null, query: "q=foo&f=2", cid },
    ],
  );
  a.access(true);
  b.access(false);
  const denied = (body(b) as Record<string, unknown>)["query"];
  await expectEvent(c, `${model}?${String(denied)}.unsubscribe`, { reason: accessDenied });
  await noRequestSoon(env, `access.${model}`);
});

test("a reset with resources and access sends both get and access requests", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  const cid = await subscribe(env, c, rid, { model: MODEL });
  reset({ resources: [rid], access: [rid] });
  const get = await env.service.next(`get.${rid}`);
  const access = await env.service.next(`access.${rid}`);
  assert.deepEqual(body(access), { token: null, cid });
  get.model({ ...MODEL, int: 1 });
  access.access(true);
  await expectEvent(c, `${rid}.change`, { values: { int: 1 } });
  await c.noEvent(QUIET_MS);
});

// ---- throttle ------------------------------------------------------------------

/** Answers requests one at a time, asserting that at most `RESET_THROTTLE` are out. */
async function drainThrottled(
  subjects: string[],
  answer: (req: ServiceRequest) => void,
): Promise<void> {
  const outstanding = (): ServiceRequest[] =>
    env.service.log.filter((r) => subjects.includes(r.subject) && !r.answered);
  const seen = new Set<ServiceRequest>();
  for (let n = 0; n < subjects.length; n++) {
    const deadline = Date.now() + 2000;
    while (outstanding().length === 0 && Date.now() < deadline) await sleep(10);
    await sleep(QUIET_MS / 3);
    const out = outstanding();
    assert.ok(out.length > 0, "no request out");
    assert.ok(out.length <= RESET_THROTTLE, `${out.length} requests out at once`);
    const req = out[0] as ServiceRequest;
    assert.equal(seen.has(req), false);
    seen.add(req);
    answer(req);
  }
  await sleep(QUIET_MS);
  assert.equal(outstanding().length, 0);
  for (const s of subjects)
    assert.equal(env.service.requests(s).filter((r) => seen.has(r)).length, 1);
}

test("a reset throttles its get requests", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const rids = [1, 2, 3, 4, 5].map((i) => `${p}.model.${i}`);
  for (const [i, rid] of rids.entries()) await subscribe(env, c, rid, { model: { id: i } });
  const taken = new Set(env.service.log);
  reset({ resources: [`${p}.>`] });
  await drainThrottled(
    rids.map((rid) => `get.${rid}`),
    (req) => {
      assert.equal(taken.has(req), false);
      req.model({ id: Number(req.subject.slice(-1)) - 1 });
    },
  );
  await c.noEvent(QUIET_MS);
});

test("a reset throttles its get and access requests together", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const rids = [1, 2, 3].map((i) => `${p}.model.${i}`);
  for (const [i, rid] of rids.entries()) await subscribe(env, c, rid, { model: { id: i } });
  reset({ resources: [`${p}.>`], access: [`${p}.>`] });
  await drainThrottled(
    rids.flatMap((rid) => [`get.${rid}`, `access.${rid}`]),
    (req) => {
      if (req.subject.startsWith("get.")) req.model({ id: Number(req.subject.slice(-1)) - 1 });
      else req.access(true);
    },
  );
  await c.noEvent(QUIET_MS);
});
