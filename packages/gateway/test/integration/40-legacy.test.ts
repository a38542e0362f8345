// Legacy encoding for clients older than protocol 1.2.1: a client that never sends
// a version (v1.1) or sends one up to 1.2.0 gets soft references as their rid
// string and object/array data values as "[Data]" in models and collections that
// hold such values, and in change and add events; 1.2.1 and later get the values
// as the service sent them (Resgate's server/rescache/legacy.go and
// test/40legacy_1.2.0_test.go).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";
import {
  LATEST,
  connectAs,
  count,
  expectCustom,
  expectEvent,
  expectMarker,
  serve,
  subscribe,
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
const DATA_MODEL = {
  name: "data",
  primitive: { data: 12 },
  object: { data: { foo: ["bar"] } },
  array: { data: [{ foo: "bar" }] },
};
const DATA_COLLECTION = [
  "data",
  { data: 12 },
  { data: { foo: ["bar"] } },
  { data: [{ foo: "bar" }] },
];

function fixtures(p: string): Record<string, Resource> {
  return {
    [`${p}.model`]: { model: MODEL },
    [`${p}.collection`]: { collection: COLLECTION },
    [`${p}.model.parent`]: { model: { name: "parent", child: { rid: `${p}.model` } } },
    [`${p}.model.soft`]: { model: { name: "soft", child: { rid: `${p}.model`, soft: true } } },
    [`${p}.model.soft.parent`]: {
      model: { name: "softparent", child: { rid: `${p}.model.soft`, soft: false } },
    },
    [`${p}.model.data`]: { model: DATA_MODEL },
    [`${p}.model.mixed`]: {
      model: {
        ref: { rid: `${p}.model` },
        soft: { rid: `${p}.collection`, soft: true },
        data: { data: [1, 2] },
        text: "x",
      },
    },
    [`${p}.collection.soft`]: {
      collection: ["soft", { rid: `${p}.collection`, soft: true }],
    },
    [`${p}.collection.data`]: { collection: DATA_COLLECTION },
    [`${p}.collection.data.parent`]: {
      collection: ["dataparent", { rid: `${p}.collection.data` }],
    },
  };
}

/** Versions that get the legacy encoding; null is a client that sends no version. */
const legacyVersions: (string | null)[] = [null, "1.0.0", "1.1.0", "1.1.1", "1.2.0"];
/** Versions that get values as the service sent them. */
const currentVersions: string[] = ["1.2.1", "1.2.3", LATEST];

const name = (v: string | null): string => (v === null ? "no version" : `version ${v}`);

/** The subscribe results each kind of client gets. */
function expectedResults(p: string, legacy: boolean): [string, unknown][] {
  const model = `${p}.model`;
  const coll = `${p}.collection`;
  const dataModel = legacy
    ? { name: "data", primitive: 12, object: "[Data]", array: "[Data]" }
    : {
        name: "data",
        primitive: 12,
        object: { data: { foo: ["bar"] } },
        array: { data: [{ foo: "bar" }] },
      };
  const softModel = legacy
    ? { name: "soft", child: model }
    : { name: "soft", child: { rid: model, soft: true } };
  const dataColl = legacy
    ? ["data", 12, "[Data]", "[Data]"]
    : ["data", 12, { data: { foo: ["bar"] } }, { data: [{ foo: "bar" }] }];
  return [
    [model, { models: { [model]: MODEL } }],
    [
      `${p}.model.parent`,
      {
        models: {
          [`${p}.model.parent`]: { name: "parent", child: { rid: model } },
          [model]: MODEL,
        },
      },
    ],
    [`${p}.model.soft`, { models: { [`${p}.model.soft`]: softModel } }],
    [
      `${p}.model.soft.parent`,
      {
        models: {
          [`${p}.model.soft.parent`]: {
            name: "softparent",
            child: { rid: `${p}.model.soft`, soft: false },
          },
          [`${p}.model.soft`]: softModel,
        },
      },
    ],
    [`${p}.model.data`, { models: { [`${p}.model.data`]: dataModel } }],
    [
      `${p}.model.mixed`,
      {
        models: {
          [`${p}.model.mixed`]: legacy
            ? { ref: { rid: model }, soft: coll, data: "[Data]", text: "x" }
            : {
                ref: { rid: model },
                soft: { rid: coll, soft: true },
                data: { data: [1, 2] },
                text: "x",
              },
          [model]: MODEL,
        },
      },
    ],
    [coll, { collections: { [coll]: COLLECTION } }],
    [
      `${p}.collection.soft`,
      {
        collections: {
          [`${p}.collection.soft`]: legacy ? ["soft", coll] : ["soft", { rid: coll, soft: true }],
        },
      },
    ],
    [`${p}.collection.data`, { collections: { [`${p}.collection.data`]: dataColl } }],
    [
      `${p}.collection.data.parent`,
      {
        collections: {
          [`${p}.collection.data.parent`]: ["dataparent", { rid: `${p}.collection.data` }],
          [`${p}.collection.data`]: dataColl,
        },
      },
    ],
  ];
}

for (const v of [...legacyVersions, ...currentVersions]) {
  const legacy = !currentVersions.includes(v ?? "");
  test(`subscribe results for a client with ${name(v)} (${legacy ? "legacy" : "current"})`, async (t) => {
    const p = env.prefix("l");
    serve(env, fixtures(p));
    for (const [rid, expected] of expectedResults(p, legacy)) {
      const c = await connectAs(env, t, v);
      assert.deepEqual(await subscribe(c, rid), expected, rid);
    }
    // Soft references are never subscribed.
    assert.equal(count(env, `get.${p}.collection`), 1);
  });
}

test("a version request without a protocol leaves the client legacy", async (t) => {
  const p = env.prefix("l");
  serve(env, fixtures(p));
  const c = await connectAs(env, t, null);
  assert.deepEqual(await c.result("version", {}), { protocol: "1.2.3" });
  assert.deepEqual(await subscribe(c, `${p}.model.soft`), {
    models: { [`${p}.model.soft`]: { name: "soft", child: `${p}.model` } },
  });
});

test("the same resource is encoded per client", async (t) => {
  const p = env.prefix("l");
  const rid = `${p}.model.data`;
  serve(env, fixtures(p));
  const legacy = await connectAs(env, t, null);
  const current = await connectAs(env, t);
  assert.deepEqual(await subscribe(current, rid), {
    models: { [rid]: { ...DATA_MODEL, primitive: 12 } },
  });
  assert.deepEqual(await subscribe(legacy, rid), {
    models: { [rid]: { name: "data", primitive: 12, object: "[Data]", array: "[Data]" } },
  });
});

interface ChangeCase {
  name: string;
  res: "model" | "model.soft" | "model.data";
  change: (p: string) => unknown;
  /** The event data a legacy client gets, or null for no event. */
  legacy: (p: string) => unknown;
  /** The event data a current client gets, or null for no event. */
  current: (p: string) => unknown;
  /** The model a legacy client then gets when subscribing. */
  legacyModel: (p: string) => unknown;
  /** The model a current client then gets when subscribing. */
  currentModel: (p: string) => unknown;
}

const changeCases: ChangeCase[] = [
  {
    name: "soft reference added",
    res: "model",
    change: (p) => ({ values: { soft: { rid: `${p}.model.soft`, soft: true } } }),
    legacy: (p) => ({ values: { soft: `${p}.model.soft` } }),
    current: (p) => ({ values: { soft: { rid: `${p}.model.soft`, soft: true } } }),
    legacyModel: (p) => ({ ...MODEL, soft: `${p}.model.soft` }),
    currentModel: (p) => ({ ...MODEL, soft: { rid: `${p}.model.soft`, soft: true } }),
  },
  {
    name: "soft reference set to null",
    res: "model.soft",
    change: () => ({ values: { child: null } }),
    legacy: () => ({ values: { child: null } }),
    current: () => ({ values: { child: null } }),
    legacyModel: () => ({ name: "soft", child: null }),
    currentModel: () => ({ name: "soft", child: null }),
  },
  {
    name: "soft reference deleted",
    res: "model.soft",
    change: () => ({ values: { child: { action: "delete" } } }),
    legacy: () => ({ values: { child: { action: "delete" } } }),
    current: () => ({ values: { child: { action: "delete" } } }),
    legacyModel: () => ({ name: "soft" }),
    currentModel: () => ({ name: "soft" }),
  },
  {
    name: "same soft reference (no change)",
    res: "model.soft",
    change: (p) => ({ values: { child: { rid: `${p}.model`, soft: true } } }),
    legacy: () => null,
    current: () => null,
    legacyModel: (p) => ({ name: "soft", child: `${p}.model` }),
    currentModel: (p) => ({ name: "soft", child: { rid: `${p}.model`, soft: true } }),
  },
  {
    name: "object data value changed",
    res: "model.data",
    change: () => ({ values: { object: { data: { foo: ["baz"] } } } }),
    legacy: () => ({ values: { object: "[Data]" } }),
    current: () => ({ values: { object: { data: { foo: ["baz"] } } } }),
    legacyModel: () => ({ name: "data", primitive: 12, object: "[Data]", array: "[Data]" }),
    currentModel: () => ({ ...DATA_MODEL, primitive: 12, object: { data: { foo: ["baz"] } } }),
  },
  {
    name: "primitive data value changed",
    res: "model.data",
    change: () => ({ values: { primitive: { data: 13 } } }),
    legacy: () => ({ values: { primitive: 13 } }),
    current: () => ({ values: { primitive: 13 } }),
    legacyModel: () => ({ name: "data", primitive: 13, object: "[Data]", array: "[Data]" }),
    currentModel: () => ({ ...DATA_MODEL, primitive: 13 }),
  },
  {
    name: "data value added to a plain model, with a plain value",
    res: "model",
    change: () => ({ values: { list: { data: [1] }, string: "bar" } }),
    legacy: () => ({ values: { list: "[Data]", string: "bar" } }),
    current: () => ({ values: { list: { data: [1] }, string: "bar" } }),
    legacyModel: () => ({ ...MODEL, string: "bar", list: "[Data]" }),
    currentModel: () => ({ ...MODEL, string: "bar", list: { data: [1] } }),
  },
  {
    name: "last data and soft values removed: plain again",
    res: "model.soft",
    change: () => ({ values: { child: "plain" } }),
    legacy: () => ({ values: { child: "plain" } }),
    current: () => ({ values: { child: "plain" } }),
    legacyModel: () => ({ name: "soft", child: "plain" }),
    currentModel: () => ({ name: "soft", child: "plain" }),
  },
];

for (const cc of changeCases) {
  test(`change event for legacy and current clients: ${cc.name}`, async (t) => {
    const p = env.prefix("lc");
    const rid = `${p}.${cc.res}`;
    serve(env, fixtures(p));
    const old = await connectAs(env, t, "1.2.0");
    const none = await connectAs(env, t, null);
    const cur = await connectAs(env, t, "1.2.1");
    for (const c of [old, none, cur]) await subscribe(c, rid);

    env.service.event(rid, "change", cc.change(p));
    for (const c of [old, none, cur]) {
      const expected = c === cur ? cc.current(p) : cc.legacy(p);
      if (expected !== null) await expectEvent(c, `${rid}.change`, expected);
    }
    env.service.event(rid, "custom", { marker: true });
    for (const c of [old, none, cur]) await expectEvent(c, `${rid}.custom`, { marker: true });

    for (const c of [old, none, cur]) {
      await unsubscribe(c, rid);
      const model = c === cur ? cc.currentModel(p) : cc.legacyModel(p);
      assert.deepEqual(await subscribe(c, rid), { models: { [rid]: model } });
    }
    assert.equal(count(env, `get.${rid}`), 1);
  });
}

test("legacy client: a soft reference replaced by a reference subscribes it", async (t) => {
  const p = env.prefix("lc");
  const soft = `${p}.model.soft`;
  const model = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t, "1.2.0");
  await subscribe(c, soft);

  env.service.event(soft, "change", { values: { child: { rid: model, soft: false } } });
  await expectEvent(c, `${soft}.change`, {
    values: { child: { rid: model, soft: false } },
    models: { [model]: MODEL },
  });
  await expectCustom(env, c, model);
});

test("legacy client: resources sent with a change event use the legacy encoding", async (t) => {
  const p = env.prefix("lc");
  const model = `${p}.model`;
  const data = `${p}.model.data`;
  const softColl = `${p}.collection.soft`;
  serve(env, fixtures(p));
  const legacy = await connectAs(env, t, null);
  const current = await connectAs(env, t);
  await subscribe(legacy, model);
  await subscribe(current, model);

  env.service.event(model, "change", { values: { a: { rid: data }, b: { rid: softColl } } });
  await expectEvent(legacy, `${model}.change`, {
    values: { a: { rid: data }, b: { rid: softColl } },
    models: { [data]: { name: "data", primitive: 12, object: "[Data]", array: "[Data]" } },
    collections: { [softColl]: ["soft", `${p}.collection`] },
  });
  await expectEvent(current, `${model}.change`, {
    values: { a: { rid: data }, b: { rid: softColl } },
    models: { [data]: { ...DATA_MODEL, primitive: 12 } },
    collections: { [softColl]: ["soft", { rid: `${p}.collection`, soft: true }] },
  });
});

interface AddCase {
  name: string;
  res: "collection" | "collection.soft" | "collection.data";
  event: "add" | "remove";
  payload: (p: string) => unknown;
  legacy: (p: string) => unknown;
  current: (p: string) => unknown;
  legacyCollection: (p: string) => unknown;
  currentCollection: (p: string) => unknown;
}

const addCases: AddCase[] = [
  {
    name: "soft reference added",
    res: "collection",
    event: "add",
    payload: (p) => ({ idx: 0, value: { rid: `${p}.collection.soft`, soft: true } }),
    legacy: (p) => ({ idx: 0, value: `${p}.collection.soft` }),
    current: (p) => ({ idx: 0, value: { rid: `${p}.collection.soft`, soft: true } }),
    legacyCollection: (p) => [`${p}.collection.soft`, ...COLLECTION],
    currentCollection: (p) => [{ rid: `${p}.collection.soft`, soft: true }, ...COLLECTION],
  },
  {
    name: "object data value added",
    res: "collection",
    event: "add",
    payload: () => ({ idx: 4, value: { data: { foo: ["bar"] } } }),
    legacy: () => ({ idx: 4, value: "[Data]" }),
    current: () => ({ idx: 4, value: { data: { foo: ["bar"] } } }),
    legacyCollection: () => [...COLLECTION, "[Data]"],
    currentCollection: () => [...COLLECTION, { data: { foo: ["bar"] } }],
  },
  {
    name: "primitive data value added",
    res: "collection.data",
    event: "add",
    payload: () => ({ idx: 1, value: { data: "text" } }),
    legacy: () => ({ idx: 1, value: "text" }),
    current: () => ({ idx: 1, value: "text" }),
    legacyCollection: () => ["data", "text", 12, "[Data]", "[Data]"],
    currentCollection: () => [
      "data",
      "text",
      12,
      { data: { foo: ["bar"] } },
      { data: [{ foo: "bar" }] },
    ],
  },
  {
    name: "soft reference removed",
    res: "collection.soft",
    event: "remove",
    payload: () => ({ idx: 1 }),
    legacy: () => ({ idx: 1 }),
    current: () => ({ idx: 1 }),
    legacyCollection: () => ["soft"],
    currentCollection: () => ["soft"],
  },
  {
    name: "data value removed",
    res: "collection.data",
    event: "remove",
    payload: () => ({ idx: 2 }),
    legacy: () => ({ idx: 2 }),
    current: () => ({ idx: 2 }),
    legacyCollection: () => ["data", 12, "[Data]"],
    currentCollection: () => ["data", 12, { data: [{ foo: "bar" }] }],
  },
];

for (const ac of addCases) {
  test(`${ac.event} event for legacy and current clients: ${ac.name}`, async (t) => {
    const p = env.prefix("la");
    const rid = `${p}.${ac.res}`;
    serve(env, fixtures(p));
    const old = await connectAs(env, t, "1.2.0");
    const none = await connectAs(env, t, null);
    const cur = await connectAs(env, t, LATEST);
    for (const c of [old, none, cur]) await subscribe(c, rid);

    env.service.event(rid, ac.event, ac.payload(p));
    for (const c of [old, none, cur]) {
      await expectEvent(c, `${rid}.${ac.event}`, c === cur ? ac.current(p) : ac.legacy(p));
      await expectMarker(env, c, rid);
    }

    for (const c of [old, none, cur]) {
      await unsubscribe(c, rid);
      const coll = c === cur ? ac.currentCollection(p) : ac.legacyCollection(p);
      assert.deepEqual(await subscribe(c, rid), { collections: { [rid]: coll } });
    }
  });
}

test("legacy client: resources sent with an add event use the legacy encoding", async (t) => {
  const p = env.prefix("la");
  const coll = `${p}.collection`;
  const data = `${p}.collection.data`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t, null);
  await subscribe(c, coll);

  env.service.event(coll, "add", { idx: 0, value: { rid: data } });
  await expectEvent(c, `${coll}.add`, {
    idx: 0,
    value: { rid: data },
    collections: { [data]: ["data", 12, "[Data]", "[Data]"] },
  });
});
