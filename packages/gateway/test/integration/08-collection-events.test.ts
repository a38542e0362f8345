// Collection add and remove events: what the client is sent, how the cached
// collection is updated, and how added or removed references are subscribed or
// released (Resgate's test/08collection_event_test.go).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";
import {
  answer,
  connectAs,
  count,
  expectCustom,
  expectEvent,
  expectMarker,
  expectNoCustom,
  fill,
  fillCollection,
  serve,
  subscribe,
  subscribeManual,
  unsubscribe,
  type Resource,
} from "../support/events-helpers.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

const MODEL = { string: "foo", int: 42, bool: true, null: null };
const COLLECTION = ["foo", 42, true, null];

function fixtures(p: string): Record<string, Resource> {
  return {
    [`${p}.model`]: { model: MODEL },
    [`${p}.collection`]: { collection: COLLECTION },
    [`${p}.collection.parent`]: {
      collection: fillCollection(p, `["parent",{"rid":"@collection"}]`),
    },
    [`${p}.collection.soft`]: {
      collection: fillCollection(p, `["soft",{"rid":"@collection","soft":true}]`),
    },
    [`${p}.collection.data`]: {
      collection: ["data", { data: 12 }, { data: { foo: ["bar"] } }, { data: [{ foo: "bar" }] }],
    },
    [`${p}.collection.empty`]: { collection: [] },
  };
}

test("add and remove events on a subscribed collection are sent to the client", async (t) => {
  const p = env.prefix("ce");
  const rid = `${p}.collection`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "add", { idx: 3, value: "bar" });
  await expectEvent(c, `${rid}.add`, { idx: 3, value: "bar" });
  env.service.event(rid, "remove", { idx: 2 });
  await expectEvent(c, `${rid}.remove`, { idx: 2 });
});

interface CachedCase {
  res: "collection" | "collection.soft" | "collection.data";
  event: "add" | "remove";
  /** The event payload; `@` stands for the prefix and a dot. */
  payload: string;
  /** The collection as the client gets it after the event. */
  collection: string;
  /** The event data the client gets, when not the payload itself. */
  expected?: string;
}

const cachedCases: CachedCase[] = [
  {
    res: "collection",
    event: "add",
    payload: `{"idx":0,"value":"bar"}`,
    collection: `["bar","foo",42,true,null]`,
  },
  {
    res: "collection",
    event: "add",
    payload: `{"idx":1,"value":"bar"}`,
    collection: `["foo","bar",42,true,null]`,
  },
  {
    res: "collection",
    event: "add",
    payload: `{"idx":4,"value":"bar"}`,
    collection: `["foo",42,true,null,"bar"]`,
  },
  {
    res: "collection",
    event: "add",
    payload: `{"idx":0,"value":{"rid":"@collection.soft","soft":true}}`,
    collection: `[{"rid":"@collection.soft","soft":true},"foo",42,true,null]`,
  },
  {
    res: "collection",
    event: "add",
    payload: `{"idx":0,"value":{"data":{"foo":["bar"]}}}`,
    collection: `[{"data":{"foo":["bar"]}},"foo",42,true,null]`,
  },
  {
    res: "collection",
    event: "add",
    payload: `{"idx":0,"value":{"data":12}}`,
    collection: `[12,"foo",42,true,null]`,
    expected: `{"idx":0,"value":12}`,
  },
  {
    res: "collection",
    event: "add",
    payload: `{"idx":2,"value":{"data":null}}`,
    collection: `["foo",42,null,true,null]`,
    expected: `{"idx":2,"value":null}`,
  },
  {
    res: "collection",
    event: "add",
    payload: `{"value":"bar"}`,
    collection: `["bar","foo",42,true,null]`,
    expected: `{"idx":0,"value":"bar"}`,
  },
  // A null idx leaves Resgate's Go int at 0.
  {
    res: "collection",
    event: "add",
    payload: `{"idx":null,"value":"bar"}`,
    collection: `["bar","foo",42,true,null]`,
    expected: `{"idx":0,"value":"bar"}`,
  },
  // The add event sent to clients has only idx and value.
  {
    res: "collection",
    event: "add",
    payload: `{"idx":1,"value":"bar","extra":true}`,
    collection: `["foo","bar",42,true,null]`,
    expected: `{"idx":1,"value":"bar"}`,
  },
  {
    res: "collection",
    event: "remove",
    payload: `{"idx":0}`,
    collection: `[42,true,null]`,
  },
  {
    res: "collection",
    event: "remove",
    payload: `{"idx":1}`,
    collection: `["foo",true,null]`,
  },
  {
    res: "collection",
    event: "remove",
    payload: `{"idx":3}`,
    collection: `["foo",42,true]`,
  },
  // The remove event's payload is passed on as the service sent it.
  {
    res: "collection",
    event: "remove",
    payload: `{}`,
    collection: `[42,true,null]`,
  },
  {
    res: "collection",
    event: "remove",
    payload: `{"idx":null}`,
    collection: `[42,true,null]`,
  },
  {
    res: "collection",
    event: "remove",
    payload: `{"idx":1,"extra":[true]}`,
    collection: `["foo",true,null]`,
  },
  {
    res: "collection.soft",
    event: "remove",
    payload: `{"idx":1}`,
    collection: `["soft"]`,
  },
  {
    res: "collection.data",
    event: "remove",
    payload: `{"idx":1}`,
    collection: `["data",{"data":{"foo":["bar"]}},{"data":[{"foo":"bar"}]}]`,
  },
  {
    res: "collection.data",
    event: "remove",
    payload: `{"idx":2}`,
    collection: `["data",12,{"data":[{"foo":"bar"}]}]`,
  },
  {
    res: "collection.data",
    event: "remove",
    payload: `{"idx":3}`,
    collection: `["data",12,{"data":{"foo":["bar"]}}]`,
  },
];

for (const [i, cc] of cachedCases.entries()) {
  test(`${cc.event} on cached collection #${i + 1}: ${cc.res} ${cc.payload}`, async (t) => {
    const p = env.prefix("cc");
    const rid = `${p}.${cc.res}`;
    serve(env, fixtures(p));
    const c = await connectAs(env, t);
    await subscribe(c, rid);

    env.service.event(rid, cc.event, fill(p, cc.payload));
    await expectEvent(c, `${rid}.${cc.event}`, fill(p, cc.expected ?? cc.payload));
    await expectMarker(env, c, rid);

    const expected = { collections: { [rid]: fill(p, cc.collection) } };
    const c2 = await connectAs(env, t);
    assert.deepEqual(await subscribe(c2, rid), expected);
    await unsubscribe(c, rid);
    assert.deepEqual(await subscribe(c, rid), expected);
    assert.equal(count(env, `get.${rid}`), 1, "the collection is served from the cache");
    assert.equal(count(env, `get.${p}.collection.soft`), cc.res === "collection.soft" ? 1 : 0);
  });
}

const droppedCases: [string, "add" | "remove", unknown][] = [
  ["add with idx past the end", "add", { idx: 5, value: "bar" }],
  ["add with negative idx", "add", { idx: -1, value: "bar" }],
  ["add with fractional idx", "add", { idx: 1.5, value: "bar" }],
  ["add with string idx", "add", { idx: "1", value: "bar" }],
  [
    "add without value",
    "add",
    // Resgate: codec.DecodeAddEvent rejects a missing value (Type None is not proper).
    { idx: 1 },
  ],
  ["add with a nested object value", "add", { idx: 1, value: { foo: "bar" } }],
  ["add with an array value", "add", { idx: 1, value: [1] }],
  ["add with a delete action value", "add", { idx: 1, value: { action: "delete" } }],
  ["remove with idx at the end", "remove", { idx: 4 }],
  ["remove with negative idx", "remove", { idx: -1 }],
  ["add with a non-JSON payload", "add", "not json"],
  // Resgate decodes idx into a Go int: a number literal with a fraction part fails.
  ["add with idx written as 1.0", "add", '{"idx":1.0,"value":"bar"}'],
  ["remove with idx written as 0.0", "remove", '{"idx":0.0}'],
  ["remove with an array payload", "remove", [0]],
];

for (const [name, event, payload] of droppedCases) {
  test(`invalid event is dropped: ${name}`, async (t) => {
    const p = env.prefix("cd");
    const rid = `${p}.collection`;
    serve(env, fixtures(p));
    const c = await connectAs(env, t);
    await subscribe(c, rid);

    if (typeof payload === "string") env.service.event(rid, event, undefined, payload);
    else env.service.event(rid, event, payload);
    await expectMarker(env, c, rid);

    const c2 = await connectAs(env, t);
    assert.deepEqual(await subscribe(c2, rid), { collections: { [rid]: COLLECTION } });
  });
}

test("add and remove events on a model are dropped", async (t) => {
  const p = env.prefix("ce");
  const rid = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "add", { idx: 0, value: "bar" });
  env.service.event(rid, "remove", { idx: 0 });
  await expectMarker(env, c, rid);
});

test("add event with a reference includes the referenced resource", async (t) => {
  const p = env.prefix("ce");
  const rid = `${p}.collection`;
  const model = `${p}.model`;
  const c = await connectAs(env, t);
  await subscribeManual(env, c, rid, { collection: COLLECTION });

  env.service.event(rid, "add", { idx: 3, value: { rid: model } });
  answer(await env.service.next(`get.${model}`), { model: MODEL });
  await expectEvent(c, `${rid}.add`, {
    idx: 3,
    value: { rid: model },
    models: { [model]: MODEL },
  });

  await expectCustom(env, c, model);
});

test("add event with a reference to an already sent resource has no resource set", async (t) => {
  const p = env.prefix("ce");
  const rid = `${p}.collection`;
  const model = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);
  await subscribe(c, model);

  env.service.event(rid, "add", { idx: 0, value: { rid: model } });
  await expectEvent(c, `${rid}.add`, { idx: 0, value: { rid: model } });
  await unsubscribe(c, model);
  await expectCustom(env, c, model);
});

test("add event with a soft reference does not subscribe it", async (t) => {
  const p = env.prefix("ce");
  const rid = `${p}.collection`;
  const model = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "add", { idx: 0, value: { rid: model, soft: true } });
  await expectEvent(c, `${rid}.add`, { idx: 0, value: { rid: model, soft: true } });
  await expectMarker(env, c, rid);
  assert.equal(count(env, `get.${model}`), 0);
});

const sequences: { add: boolean; idx: number }[][] = [
  [{ add: true, idx: 0 }],
  [
    { add: true, idx: 0 },
    { add: false, idx: 0 },
  ],
  [
    { add: true, idx: 0 },
    { add: false, idx: 0 },
    { add: true, idx: 0 },
  ],
  [
    { add: true, idx: 0 },
    { add: true, idx: 0 },
  ],
  [
    { add: true, idx: 0 },
    { add: true, idx: 1 },
  ],
  [
    { add: true, idx: 0 },
    { add: true, idx: 1 },
    { add: false, idx: 0 },
    { add: false, idx: 0 },
  ],
  [
    { add: true, idx: 0 },
    { add: true, idx: 1 },
    { add: false, idx: 1 },
    { add: false, idx: 0 },
    { add: true, idx: 0 },
  ],
];

for (const [i, steps] of sequences.entries()) {
  test(`sequential add and remove of a reference #${i + 1}`, async (t) => {
    const p = env.prefix("cs");
    const rid = `${p}.collection.empty`;
    const model = `${p}.model`;
    serve(env, { [rid]: { collection: [] } });
    const c = await connectAs(env, t);
    await subscribe(c, rid);

    let refs = 0;
    let cached = false;
    for (const step of steps) {
      if (step.add) {
        env.service.event(rid, "add", { idx: step.idx, value: { rid: model } });
        if (!cached) {
          answer(await env.service.next(`get.${model}`), { model: MODEL });
          cached = true;
        }
        // The model is only sent while it is not already held by the client.
        await expectEvent(
          c,
          `${rid}.add`,
          refs === 0
            ? { idx: step.idx, value: { rid: model }, models: { [model]: MODEL } }
            : { idx: step.idx, value: { rid: model } },
        );
        refs++;
      } else {
        env.service.event(rid, "remove", { idx: step.idx });
        await expectEvent(c, `${rid}.remove`, { idx: step.idx });
        refs--;
      }
    }
    if (refs > 0) await expectCustom(env, c, model);
    else await expectNoCustom(env, c, model, rid);
    assert.equal(count(env, `get.${model}`), 1);
  });
}

test("remove event of the only reference releases the referenced resource", async (t) => {
  const p = env.prefix("ce");
  const parent = `${p}.collection.parent`;
  const child = `${p}.collection`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  assert.deepEqual(await subscribe(c, parent), {
    collections: { [parent]: ["parent", { rid: child }], [child]: COLLECTION },
  });
  await expectCustom(env, c, child);

  env.service.event(parent, "remove", { idx: 1 });
  await expectEvent(c, `${parent}.remove`, { idx: 1 });
  await expectNoCustom(env, c, child, parent);
});

test("a resource referenced twice stays subscribed until both items are removed", async (t) => {
  const p = env.prefix("ce");
  const parent = `${p}.collection.twice`;
  const child = `${p}.model`;
  serve(env, {
    [parent]: { collection: [{ rid: child }, "x", { rid: child }] },
    [child]: { model: MODEL },
  });
  const c = await connectAs(env, t);
  assert.deepEqual(await subscribe(c, parent), {
    collections: { [parent]: [{ rid: child }, "x", { rid: child }] },
    models: { [child]: MODEL },
  });

  env.service.event(parent, "remove", { idx: 2 });
  await expectEvent(c, `${parent}.remove`, { idx: 2 });
  await expectCustom(env, c, child);

  env.service.event(parent, "remove", { idx: 0 });
  await expectEvent(c, `${parent}.remove`, { idx: 0 });
  await expectNoCustom(env, c, child, parent);
});

test("a released reference is sent again when added back", async (t) => {
  const p = env.prefix("ce");
  const parent = `${p}.collection.parent`;
  const child = `${p}.collection`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, parent);

  env.service.event(parent, "remove", { idx: 1 });
  await expectEvent(c, `${parent}.remove`, { idx: 1 });
  env.service.event(parent, "add", { idx: 0, value: { rid: child } });
  await expectEvent(c, `${parent}.add`, {
    idx: 0,
    value: { rid: child },
    collections: { [child]: COLLECTION },
  });
  await expectCustom(env, c, child);
  assert.equal(count(env, `get.${child}`), 1, "still cached");
});

test("add event with a reference to a missing resource sends its error", async (t) => {
  const p = env.prefix("ce");
  const rid = `${p}.collection`;
  const missing = `${p}.missing`;
  serve(env, fixtures(p));
  env.service.handle(`get.${missing}`, (r) => r.error("system.notFound", "Not found"));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "add", { idx: 1, value: { rid: missing } });
  await expectEvent(c, `${rid}.add`, {
    idx: 1,
    value: { rid: missing },
    errors: { [missing]: { code: "system.notFound", message: "Not found" } },
  });
});
