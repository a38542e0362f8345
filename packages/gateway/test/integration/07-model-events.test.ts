// Model change events and custom events: what the client is sent, how the cached
// model is updated, and how references added or removed by a change are
// subscribed or released (Resgate's test/07model_event_test.go).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";
import {
  CUSTOM,
  answer,
  connectAs,
  count,
  expectCustom,
  expectEvent,
  expectMarker,
  expectNoCustom,
  fill,
  fillModel,
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

/** The fixture resources of a test, named under its prefix. */
function fixtures(p: string): Record<string, Resource> {
  return {
    [`${p}.model`]: { model: MODEL },
    [`${p}.collection`]: { collection: COLLECTION },
    [`${p}.model.parent`]: { model: fillModel(p, `{"name":"parent","child":{"rid":"@model"}}`) },
    [`${p}.model.soft`]: {
      model: fillModel(p, `{"name":"soft","child":{"rid":"@model","soft":true}}`),
    },
    [`${p}.model.data`]: {
      model: {
        name: "data",
        primitive: { data: 12 },
        object: { data: { foo: ["bar"] } },
        array: { data: [{ foo: "bar" }] },
      },
    },
  };
}

test("change event on a subscribed model is sent to the client", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "change", { values: { string: "bar", int: -12 } });
  await expectEvent(c, `${rid}.change`, { values: { string: "bar", int: -12 } });
});

test("change event sent before the get response is discarded", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  const c = await connectAs(env, t);

  const id = c.sendRequest(`subscribe.${rid}`);
  const [access, get] = await Promise.all([
    env.service.next(`access.${rid}`),
    env.service.next(`get.${rid}`),
  ]);
  env.service.event(rid, "change", { values: { string: "bar", int: -12 } });
  await env.service.flush();
  get.model(MODEL);
  access.access(true);
  const r = await c.response(id);
  assert.deepEqual(r.result, { models: { [rid]: MODEL } });

  await expectMarker(env, c, rid);
});

interface CachedCase {
  name: string;
  /** Which fixture to subscribe to (under the prefix). */
  res: "model" | "model.soft" | "model.data";
  /** The change event payload; `@` stands for the prefix and a dot. */
  change: string;
  /** The change event data the client gets, or null for none. */
  expected: string | null;
  /** The model as the client gets it after the event. */
  model: string;
}

const cachedCases: CachedCase[] = [
  {
    name: "two values changed",
    res: "model",
    change: `{"values":{"string":"bar","int":-12}}`,
    expected: `{"values":{"string":"bar","int":-12}}`,
    model: `{"string":"bar","int":-12,"bool":true,"null":null}`,
  },
  {
    name: "string changed",
    res: "model",
    change: `{"values":{"string":"bar"}}`,
    expected: `{"values":{"string":"bar"}}`,
    model: `{"string":"bar","int":42,"bool":true,"null":null}`,
  },
  {
    name: "int changed",
    res: "model",
    change: `{"values":{"int":-12}}`,
    expected: `{"values":{"int":-12}}`,
    model: `{"string":"foo","int":-12,"bool":true,"null":null}`,
  },
  {
    name: "new property",
    res: "model",
    change: `{"values":{"new":false}}`,
    expected: `{"values":{"new":false}}`,
    model: `{"string":"foo","int":42,"bool":true,"null":null,"new":false}`,
  },
  {
    name: "delete action removes a property",
    res: "model",
    change: `{"values":{"int":{"action":"delete"}}}`,
    expected: `{"values":{"int":{"action":"delete"}}}`,
    model: `{"string":"foo","bool":true,"null":null}`,
  },
  {
    name: "new soft reference",
    res: "model",
    change: `{"values":{"soft":{"rid":"@model.soft","soft":true}}}`,
    expected: `{"values":{"soft":{"rid":"@model.soft","soft":true}}}`,
    model: `{"string":"foo","int":42,"bool":true,"null":null,"soft":{"rid":"@model.soft","soft":true}}`,
  },
  {
    name: "soft reference set to null",
    res: "model.soft",
    change: `{"values":{"child":null}}`,
    expected: `{"values":{"child":null}}`,
    model: `{"name":"soft","child":null}`,
  },
  {
    name: "soft reference deleted",
    res: "model.soft",
    change: `{"values":{"child":{"action":"delete"}}}`,
    expected: `{"values":{"child":{"action":"delete"}}}`,
    model: `{"name":"soft"}`,
  },
  {
    name: "primitive data value is sent unwrapped",
    res: "model.data",
    change: `{"values":{"primitive":{"data":13}}}`,
    expected: `{"values":{"primitive":13}}`,
    model: `{"name":"data","primitive":13,"object":{"data":{"foo":["bar"]}},"array":{"data":[{"foo":"bar"}]}}`,
  },
  {
    name: "object data value",
    res: "model.data",
    change: `{"values":{"object":{"data":{"foo":["baz"]}}}}`,
    expected: `{"values":{"object":{"data":{"foo":["baz"]}}}}`,
    model: `{"name":"data","primitive":12,"object":{"data":{"foo":["baz"]}},"array":{"data":[{"foo":"bar"}]}}`,
  },
  {
    name: "array data value",
    res: "model.data",
    change: `{"values":{"array":{"data":[{"foo":"baz"}]}}}`,
    expected: `{"values":{"array":{"data":[{"foo":"baz"}]}}}`,
    model: `{"name":"data","primitive":12,"object":{"data":{"foo":["bar"]}},"array":{"data":[{"foo":"baz"}]}}`,
  },
  {
    name: "reference value members other than rid and soft are passed as sent",
    res: "model",
    change: `{"values":{"soft":{"rid":"@model.soft","soft":true,"meta":[1]}}}`,
    expected: `{"values":{"soft":{"rid":"@model.soft","soft":true,"meta":[1]}}}`,
    model: `{"string":"foo","int":42,"bool":true,"null":null,"soft":{"rid":"@model.soft","soft":true,"meta":[1]}}`,
  },
  // Nothing really changes: no event.
  {
    name: "empty values",
    res: "model",
    change: `{"values":{}}`,
    expected: null,
    model: `{"string":"foo","int":42,"bool":true,"null":null}`,
  },
  {
    name: "same string",
    res: "model",
    change: `{"values":{"string":"foo"}}`,
    expected: null,
    model: `{"string":"foo","int":42,"bool":true,"null":null}`,
  },
  {
    name: "same string and int",
    res: "model",
    change: `{"values":{"string":"foo","int":42}}`,
    expected: null,
    model: `{"string":"foo","int":42,"bool":true,"null":null}`,
  },
  {
    name: "delete of a missing property",
    res: "model",
    change: `{"values":{"invalid":{"action":"delete"}}}`,
    expected: null,
    model: `{"string":"foo","int":42,"bool":true,"null":null}`,
  },
  {
    name: "unchanged value dropped from a real change",
    res: "model",
    change: `{"values":{"null":null,"string":"bar"}}`,
    expected: `{"values":{"string":"bar"}}`,
    model: `{"string":"bar","int":42,"bool":true,"null":null}`,
  },
  {
    name: "same soft reference",
    res: "model.soft",
    change: `{"values":{"child":{"rid":"@model","soft":true}}}`,
    expected: null,
    model: `{"name":"soft","child":{"rid":"@model","soft":true}}`,
  },
  {
    name: "empty values on a model with data values",
    res: "model.data",
    change: `{"values":{}}`,
    expected: null,
    model: `{"name":"data","primitive":12,"object":{"data":{"foo":["bar"]}},"array":{"data":[{"foo":"bar"}]}}`,
  },
  {
    name: "same data values (primitive given unwrapped)",
    res: "model.data",
    change: `{"values":{"primitive":12,"object":{"data":{"foo":["bar"]}},"array":{"data":[{"foo":"bar"}]}}}`,
    expected: null,
    model: `{"name":"data","primitive":12,"object":{"data":{"foo":["bar"]}},"array":{"data":[{"foo":"bar"}]}}`,
  },
  {
    name: "null wrapped as data equals null",
    res: "model",
    change: `{"values":{"null":{"data":null}}}`,
    expected: null,
    model: `{"string":"foo","int":42,"bool":true,"null":null}`,
  },
  // v1.0 legacy change events: the values at the top level.
  {
    name: "v1.0 legacy format, two values",
    res: "model",
    change: `{"string":"bar","int":-12}`,
    expected: `{"values":{"string":"bar","int":-12}}`,
    model: `{"string":"bar","int":-12,"bool":true,"null":null}`,
  },
  {
    name: "v1.0 legacy format, one value",
    res: "model",
    change: `{"string":"bar"}`,
    expected: `{"values":{"string":"bar"}}`,
    model: `{"string":"bar","int":42,"bool":true,"null":null}`,
  },
  {
    name: "v1.0 legacy format, a property named values next to another",
    res: "model",
    change: `{"values":"x","int":7}`,
    expected: `{"values":{"values":"x","int":7}}`,
    model: `{"string":"foo","int":7,"bool":true,"null":null,"values":"x"}`,
  },
  // "values" that is not an object makes it a v1.0 event with a property named values.
  {
    name: "v1.0 legacy format, values set to null",
    res: "model",
    change: `{"values":null}`,
    expected: `{"values":{"values":null}}`,
    model: `{"string":"foo","int":42,"bool":true,"null":null,"values":null}`,
  },
  {
    name: "v1.0 legacy format, values set to a string",
    res: "model",
    change: `{"values":"x"}`,
    expected: `{"values":{"values":"x"}}`,
    model: `{"string":"foo","int":42,"bool":true,"null":null,"values":"x"}`,
  },
];

for (const [i, cc] of cachedCases.entries()) {
  test(`change on cached model #${i + 1}: ${cc.name}`, async (t) => {
    const p = env.prefix("mc");
    const rid = `${p}.${cc.res}`;
    serve(env, fixtures(p));
    const c = await connectAs(env, t);
    await subscribe(c, rid);

    env.service.event(rid, "change", fill(p, cc.change));
    if (cc.expected !== null) await expectEvent(c, `${rid}.change`, fill(p, cc.expected));
    await expectMarker(env, c, rid);

    const expected = { models: { [rid]: fill(p, cc.model) } };
    // Another client gets the updated model from the cache.
    const c2 = await connectAs(env, t);
    assert.deepEqual(await subscribe(c2, rid), expected);
    // The same client too, after unsubscribing and subscribing again.
    await unsubscribe(c, rid);
    assert.deepEqual(await subscribe(c, rid), expected);
    assert.equal(count(env, `get.${rid}`), 1, "the model is served from the cache");
    // No reference was subscribed by the change.
    assert.equal(count(env, `get.${p}.model.soft`), cc.res === "model.soft" ? 1 : 0);
  });
}

test("change event adding a reference includes the referenced resource", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  const coll = `${p}.collection`;
  const c = await connectAs(env, t);
  await subscribeManual(env, c, rid, { model: MODEL });

  env.service.event(rid, "change", { values: { ref: { rid: coll } } });
  const get = await env.service.next(`get.${coll}`);
  get.collection(COLLECTION);
  await expectEvent(c, `${rid}.change`, {
    values: { ref: { rid: coll } },
    collections: { [coll]: COLLECTION },
  });

  await expectCustom(env, c, coll);
});

test("change event adding a reference to an already sent resource has no resource set", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  const coll = `${p}.collection`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);
  assert.deepEqual(await subscribe(c, coll), { collections: { [coll]: COLLECTION } });

  env.service.event(rid, "change", { values: { ref: { rid: coll } } });
  await expectEvent(c, `${rid}.change`, { values: { ref: { rid: coll } } });
  // Still subscribed when the direct subscription goes, through the reference.
  await unsubscribe(c, coll);
  await expectCustom(env, c, coll);
});

test("change event removing the only reference releases the referenced resource", async (t) => {
  const p = env.prefix("me");
  const parent = `${p}.model.parent`;
  const child = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  assert.deepEqual(await subscribe(c, parent), {
    models: { [child]: MODEL, [parent]: { name: "parent", child: { rid: child } } },
  });
  await expectCustom(env, c, child);

  env.service.event(parent, "change", { values: { child: null } });
  await expectEvent(c, `${parent}.change`, { values: { child: null } });

  await expectNoCustom(env, c, child, parent);
});

test("change event deleting the only reference releases the referenced resource", async (t) => {
  const p = env.prefix("me");
  const parent = `${p}.model.parent`;
  const child = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, parent);

  env.service.event(parent, "change", { values: { child: { action: "delete" } } });
  await expectEvent(c, `${parent}.change`, { values: { child: { action: "delete" } } });

  await expectNoCustom(env, c, child, parent);
});

test("change event replacing a reference subscribes the new one and releases the old", async (t) => {
  const p = env.prefix("me");
  const parent = `${p}.model.parent`;
  const child = `${p}.model`;
  const coll = `${p}.collection`;
  const f = fixtures(p);
  serve(env, { [parent]: f[parent] as Resource, [child]: f[child] as Resource });
  const c = await connectAs(env, t);
  await subscribe(c, parent);

  env.service.event(parent, "change", { values: { child: { rid: coll } } });
  answer(await env.service.next(`get.${coll}`), { collection: COLLECTION });
  await expectEvent(c, `${parent}.change`, {
    values: { child: { rid: coll } },
    collections: { [coll]: COLLECTION },
  });

  await expectCustom(env, c, coll);
  await expectNoCustom(env, c, child, parent);
});

test("change event replacing a reference with a soft reference releases it", async (t) => {
  const p = env.prefix("me");
  const parent = `${p}.model.parent`;
  const child = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, parent);
  await expectCustom(env, c, child);

  env.service.event(parent, "change", { values: { child: { rid: child, soft: true } } });
  await expectEvent(c, `${parent}.change`, { values: { child: { rid: child, soft: true } } });

  await expectNoCustom(env, c, child, parent);
});

test("change event replacing a soft reference with a reference subscribes it", async (t) => {
  const p = env.prefix("me");
  const soft = `${p}.model.soft`;
  const child = `${p}.model`;
  const f = fixtures(p);
  serve(env, { [soft]: f[soft] as Resource });
  const c = await connectAs(env, t);
  assert.deepEqual(await subscribe(c, soft), {
    models: { [soft]: { name: "soft", child: { rid: child, soft: true } } },
  });
  assert.equal(count(env, `get.${child}`), 0, "a soft reference is not subscribed");

  env.service.event(soft, "change", { values: { child: { rid: child, soft: false } } });
  answer(await env.service.next(`get.${child}`), { model: MODEL });
  await expectEvent(c, `${soft}.change`, {
    values: { child: { rid: child, soft: false } },
    models: { [child]: MODEL },
  });

  await expectCustom(env, c, child);
});

test("a reference moved between two properties stays subscribed", async (t) => {
  const p = env.prefix("me");
  const parent = `${p}.model.two`;
  const child = `${p}.model`;
  serve(env, {
    [parent]: { model: { a: { rid: child }, b: null } },
    [child]: { model: MODEL },
  });
  const c = await connectAs(env, t);
  await subscribe(c, parent);

  env.service.event(parent, "change", { values: { a: null, b: { rid: child } } });
  await expectEvent(c, `${parent}.change`, { values: { a: null, b: { rid: child } } });
  await expectCustom(env, c, child);
  assert.equal(count(env, `get.${child}`), 1);

  // Releasing the last reference then releases the resource.
  env.service.event(parent, "change", { values: { b: null } });
  await expectEvent(c, `${parent}.change`, { values: { b: null } });
  await expectNoCustom(env, c, child, parent);
});

test("a resource referenced twice stays subscribed until both references are gone", async (t) => {
  const p = env.prefix("me");
  const parent = `${p}.model.two`;
  const child = `${p}.model`;
  serve(env, {
    [parent]: { model: { a: { rid: child }, b: { rid: child } } },
    [child]: { model: MODEL },
  });
  const c = await connectAs(env, t);
  assert.deepEqual(await subscribe(c, parent), {
    models: { [parent]: { a: { rid: child }, b: { rid: child } }, [child]: MODEL },
  });

  env.service.event(parent, "change", { values: { a: 1 } });
  await expectEvent(c, `${parent}.change`, { values: { a: 1 } });
  await expectCustom(env, c, child);

  env.service.event(parent, "change", { values: { b: 2 } });
  await expectEvent(c, `${parent}.change`, { values: { b: 2 } });
  await expectNoCustom(env, c, child, parent);
});

test("a change adding several references sends them all in one resource set", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  const a = `${p}.a`;
  const b = `${p}.b`;
  serve(env, {
    [rid]: { model: MODEL },
    [a]: { model: { name: "a", next: { rid: b } } },
    [b]: { collection: ["b"] },
  });
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "change", { values: { x: { rid: a } } });
  await expectEvent(c, `${rid}.change`, {
    values: { x: { rid: a } },
    models: { [a]: { name: "a", next: { rid: b } } },
    collections: { [b]: ["b"] },
  });
  await expectCustom(env, c, a);
  await expectCustom(env, c, b);
});

test("change event referencing a missing resource sends its error in the resource set", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  const missing = `${p}.missing`;
  serve(env, { [rid]: { model: MODEL } });
  env.service.handle(`get.${missing}`, (r) => r.error("system.notFound", "Not found"));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "change", { values: { x: { rid: missing } } });
  await expectEvent(c, `${rid}.change`, {
    values: { x: { rid: missing } },
    errors: { [missing]: { code: "system.notFound", message: "Not found" } },
  });
});

const customPayloads: [string, unknown][] = [
  ["object", CUSTOM],
  ["array", [1, "two", { three: 3 }]],
  ["string", "hello"],
  ["number", 42],
  ["boolean", false],
];

for (const [name, payload] of customPayloads) {
  test(`custom event with ${name} payload is passed through`, async (t) => {
    const p = env.prefix("me");
    const rid = `${p}.model`;
    serve(env, fixtures(p));
    const c = await connectAs(env, t);
    await subscribe(c, rid);

    env.service.event(rid, "custom", payload);
    await expectEvent(c, `${rid}.custom`, payload);
  });
}

test("custom events on a collection are passed through", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.collection`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "someEvent", { a: [1, 2] });
  await expectEvent(c, `${rid}.someEvent`, { a: [1, 2] });
});

test("custom event with a non-JSON payload is dropped", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "custom", undefined, "not json {");
  await expectMarker(env, c, rid);
});

test("custom event with an empty payload is sent with null data", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "custom");
  await expectEvent(c, `${rid}.custom`, null);
});

test("custom event with a null payload is sent with null data", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "custom", null);
  await expectEvent(c, `${rid}.custom`, null);
});

/** Change event payloads (raw text) that Resgate drops without changing the model. */
const invalidChanges: [string, string][] = [
  ["not JSON", "not json"],
  ["empty payload", ""],
  ["null", "null"],
  ["an array", "[1,2]"],
  ["a nested object value", `{"values":{"nested":{"foo":"bar"}}}`],
  ["an array value", `{"values":{"list":[1,2]}}`],
  ["an unknown action", `{"values":{"bad":{"action":"unknown"}}}`],
  ["an empty rid", `{"values":{"bad":{"rid":""}}}`],
  ["an invalid rid", `{"values":{"bad":{"rid":"a..b"}}}`],
  ["a rid with a space", `{"values":{"bad":{"rid":"a b"}}}`],
  ["both rid and data", `{"values":{"bad":{"rid":"a.b","data":1}}}`],
  ["both action and data", `{"values":{"bad":{"action":"delete","data":1}}}`],
  // Two members make it a v1.0 event, where the object under "values" is not a value.
  ["values next to another member", `{"values":{"string":"bar"},"extra":1}`],
  ["values set to an array", `{"values":[]}`],
  // One bad value makes the whole event invalid, the good ones included.
  ["a good value before a bad one", `{"values":{"string":"bar","bad":{"foo":1}}}`],
  ["a good value after a bad one", `{"values":{"bad":{"foo":1},"string":"bar"}}`],
  ["v1.0 format with a bad value", `{"string":"bar","bad":[1]}`],
];

for (const [name, raw] of invalidChanges) {
  test(`invalid change event is dropped: ${name}`, async (t) => {
    const p = env.prefix("mi");
    const rid = `${p}.model`;
    serve(env, fixtures(p));
    const c = await connectAs(env, t);
    await subscribe(c, rid);

    env.service.event(rid, "change", undefined, raw);
    await expectMarker(env, c, rid);

    const c2 = await connectAs(env, t);
    assert.deepEqual(await subscribe(c2, rid), { models: { [rid]: MODEL } });
  });
}

test("a change event on a collection is dropped", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.collection`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "change", { values: { string: "bar" } });
  await expectMarker(env, c, rid);
});

test("events are sent to every subscribing client and not to others", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  const other = `${p}.collection`;
  serve(env, fixtures(p));
  const c1 = await connectAs(env, t);
  const c2 = await connectAs(env, t);
  const c3 = await connectAs(env, t);
  await subscribe(c1, rid);
  await subscribe(c2, rid);
  await subscribe(c3, other);

  env.service.event(rid, "change", { values: { string: "bar" } });
  await expectEvent(c1, `${rid}.change`, { values: { string: "bar" } });
  await expectEvent(c2, `${rid}.change`, { values: { string: "bar" } });
  await expectMarker(env, c3, other);
});

test("the change event frame has exactly the event and data members", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);
  const before = c.frames.length;

  env.service.event(rid, "change", { values: { int: 1 } });
  await expectEvent(c, `${rid}.change`, { values: { int: 1 } });
  const frame = c.frames[before];
  assert.ok(frame !== undefined);
  assert.deepEqual(JSON.parse(frame), { event: `${rid}.change`, data: { values: { int: 1 } } });
});

test("events on a longer subject are not events of the resource", async (t) => {
  const p = env.prefix("me");
  const rid = `${p}.model`;
  serve(env, fixtures(p));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  // event.<rid>.sub.custom is the custom event of resource <rid>.sub, not an event "sub.custom".
  env.service.event(`${rid}.sub`, "custom", CUSTOM);
  env.service.event(`${rid}.sub`, "change", { values: { string: "bar" } });
  await expectMarker(env, c, rid);
});
