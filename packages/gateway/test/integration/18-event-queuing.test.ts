// Event queuing: events that arrive before a resource is loaded are discarded,
// events that arrive while a referenced resource is loading are queued and
// delivered in order, and each resource's events keep their order (Resgate's
// test/18event_queuing_test.go).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";
import {
  connectAs,
  expectEvent,
  expectMarker,
  serve,
  sleep,
  subscribe,
  subscribeManual,
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

test("events before the get response are discarded: the response is newer", async (t) => {
  const p = env.prefix("q");
  const model = `${p}.model`;
  const coll = `${p}.collection`;
  const c = await connectAs(env, t);

  const id1 = c.sendRequest(`subscribe.${model}`);
  const id2 = c.sendRequest(`subscribe.${coll}`);
  const reqs = await env.service.nextMany(4);
  env.service.event(model, "change", { values: { string: "bar" } });
  env.service.event(model, "custom", { early: true });
  env.service.event(coll, "add", { idx: 0, value: "bar" });
  env.service.event(coll, "remove", { idx: 0 });
  env.service.event(coll, "custom", { early: true });
  await env.service.flush();
  reqs.get(`get.${model}`)?.model(MODEL);
  reqs.get(`get.${coll}`)?.collection(COLLECTION);
  reqs.get(`access.${model}`)?.access(true);
  reqs.get(`access.${coll}`)?.access(true);
  assert.deepEqual((await c.response(id1)).result, { models: { [model]: MODEL } });
  assert.deepEqual((await c.response(id2)).result, { collections: { [coll]: COLLECTION } });

  await expectMarker(env, c, model);
  await expectMarker(env, c, coll);
  await c.noEvent(50);
});

test("an event after an add event with an unloaded reference waits for it", async (t) => {
  const p = env.prefix("q");
  const coll = `${p}.collection`;
  const model = `${p}.model`;
  const c = await connectAs(env, t);
  await subscribeManual(env, c, coll, { collection: COLLECTION });

  env.service.event(coll, "add", { idx: 1, value: { rid: model } });
  const get = await env.service.next(`get.${model}`);
  env.service.event(coll, "add", { idx: 2, value: "newValue" });
  await env.service.flush();
  await c.noEvent(100);

  get.model(MODEL);
  await expectEvent(c, `${coll}.add`, {
    idx: 1,
    value: { rid: model },
    models: { [model]: MODEL },
  });
  await expectEvent(c, `${coll}.add`, { idx: 2, value: "newValue" });
});

test("a queued event adding another unloaded reference queues the rest again", async (t) => {
  const p = env.prefix("q");
  const coll = `${p}.collection`;
  const model = `${p}.model`;
  const model2 = `${p}.model2`;
  const c = await connectAs(env, t);
  await subscribeManual(env, c, coll, { collection: COLLECTION });

  env.service.event(coll, "add", { idx: 1, value: { rid: model } });
  const get1 = await env.service.next(`get.${model}`);
  env.service.event(coll, "add", { idx: 2, value: { rid: model2 } });
  env.service.event(coll, "add", { idx: 3, value: "newValue" });
  await env.service.flush();

  get1.model(MODEL);
  await expectEvent(c, `${coll}.add`, {
    idx: 1,
    value: { rid: model },
    models: { [model]: MODEL },
  });
  const get2 = await env.service.next(`get.${model2}`);
  await c.noEvent(100);

  get2.model({ name: "model2" });
  await expectEvent(c, `${coll}.add`, {
    idx: 2,
    value: { rid: model2 },
    models: { [model2]: { name: "model2" } },
  });
  await expectEvent(c, `${coll}.add`, { idx: 3, value: "newValue" });
});

test("a queued event with an already cached reference includes it once unqueued", async (t) => {
  const p = env.prefix("q");
  const parent = `${p}.collection.parent`;
  const coll = `${p}.collection`;
  const model = `${p}.model`;
  serve(env, {
    [parent]: { collection: ["parent", { rid: coll }] },
    [coll]: { collection: COLLECTION },
  });
  const c = await connectAs(env, t);
  assert.deepEqual(await subscribe(c, parent), {
    collections: { [parent]: ["parent", { rid: coll }], [coll]: COLLECTION },
  });

  env.service.event(parent, "remove", { idx: 1 });
  await expectEvent(c, `${parent}.remove`, { idx: 1 });

  env.service.event(parent, "add", { idx: 1, value: { rid: model } });
  const get = await env.service.next(`get.${model}`);
  // The collection is still in the cache, but no longer held by the client.
  env.service.event(parent, "add", { idx: 2, value: { rid: coll } });
  await env.service.flush();
  await c.noEvent(50);

  get.model(MODEL);
  await expectEvent(c, `${parent}.add`, {
    idx: 1,
    value: { rid: model },
    models: { [model]: MODEL },
  });
  await expectEvent(c, `${parent}.add`, {
    idx: 2,
    value: { rid: coll },
    collections: { [coll]: COLLECTION },
  });
});

test("queuing is per resource: other resources' events are not held back", async (t) => {
  const p = env.prefix("q");
  const model = `${p}.model`;
  const coll = `${p}.collection`;
  const a = `${p}.model.a`;
  const b = `${p}.model.b`;
  const cc = `${p}.model.c`;
  const c = await connectAs(env, t);
  await subscribeManual(env, c, model, { model: MODEL });
  await subscribeManual(env, c, coll, { collection: COLLECTION });

  // A change with three new references; only the first one is loaded.
  env.service.event(model, "change", {
    values: { a: { rid: a }, b: { rid: b }, c: { rid: cc } },
  });
  const [getA, getB, getC] = await Promise.all([
    env.service.next(`get.${a}`),
    env.service.next(`get.${b}`),
    env.service.next(`get.${cc}`),
  ]);
  getA.model({ name: "a" });

  env.service.event(coll, "add", { idx: 1, value: { rid: b } });
  env.service.event(coll, "add", { idx: 2, value: { rid: a } });
  await env.service.flush();
  await c.noEvent(100);

  getB.model({ name: "b" });
  // The change event is still waiting for c: a and b are sent with the add events.
  await expectEvent(c, `${coll}.add`, {
    idx: 1,
    value: { rid: b },
    models: { [b]: { name: "b" } },
  });
  await expectEvent(c, `${coll}.add`, {
    idx: 2,
    value: { rid: a },
    models: { [a]: { name: "a" } },
  });

  getC.model({ name: "c" });
  await expectEvent(c, `${model}.change`, {
    values: { a: { rid: a }, b: { rid: b }, c: { rid: cc } },
    models: { [cc]: { name: "c" } },
  });
});

test("a change event with an unloaded reference holds back later events", async (t) => {
  const p = env.prefix("q");
  const model = `${p}.model`;
  const ref = `${p}.ref`;
  const c = await connectAs(env, t);
  await subscribeManual(env, c, model, { model: MODEL });

  env.service.event(model, "change", { values: { ref: { rid: ref } } });
  const get = await env.service.next(`get.${ref}`);
  env.service.event(model, "change", { values: { string: "bar" } });
  env.service.event(model, "custom", { n: 1 });
  env.service.event(model, "change", { values: { ref: null } });
  await env.service.flush();
  await c.noEvent(100);

  get.model({ name: "ref" });
  await expectEvent(c, `${model}.change`, {
    values: { ref: { rid: ref } },
    models: { [ref]: { name: "ref" } },
  });
  await expectEvent(c, `${model}.change`, { values: { string: "bar" } });
  await expectEvent(c, `${model}.custom`, { n: 1 });
  await expectEvent(c, `${model}.change`, { values: { ref: null } });
  await expectMarker(env, c, model);
});

test("events queued behind a loading reference keep their order", async (t) => {
  const p = env.prefix("q");
  const coll = `${p}.collection`;
  const ref = `${p}.ref`;
  const c = await connectAs(env, t);
  await subscribeManual(env, c, coll, { collection: [] });

  env.service.event(coll, "add", { idx: 0, value: { rid: ref } });
  const get = await env.service.next(`get.${ref}`);
  for (let i = 1; i <= 10; i++) env.service.event(coll, "add", { idx: i, value: i });
  env.service.event(coll, "remove", { idx: 0 });
  await env.service.flush();
  await sleep(50);

  get.collection(["ref"]);
  await expectEvent(c, `${coll}.add`, {
    idx: 0,
    value: { rid: ref },
    collections: { [ref]: ["ref"] },
  });
  for (let i = 1; i <= 10; i++) await expectEvent(c, `${coll}.add`, { idx: i, value: i });
  await expectEvent(c, `${coll}.remove`, { idx: 0 });

  const c2 = await connectAs(env, t);
  env.service.handle(`access.${coll}`, (r) => r.access(true));
  assert.deepEqual(await subscribe(c2, coll), {
    collections: { [coll]: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  });
});

test("the order of many events on one resource is preserved", async (t) => {
  const p = env.prefix("q");
  const model = `${p}.model`;
  serve(env, { [model]: { model: { n: 0 } } });
  const c = await connectAs(env, t);
  await subscribe(c, model);

  const n = 100;
  for (let i = 1; i <= n; i++) {
    if (i % 3 === 0) env.service.event(model, "custom", { i });
    else env.service.event(model, "change", { values: { n: i } });
  }
  for (let i = 1; i <= n; i++) {
    if (i % 3 === 0) await expectEvent(c, `${model}.custom`, { i });
    else await expectEvent(c, `${model}.change`, { values: { n: i } });
  }
  await expectMarker(env, c, model);
});

test("events on a resource held by two paths reach the client once", async (t) => {
  const p = env.prefix("q");
  const parent = `${p}.parent`;
  const model = `${p}.model`;
  serve(env, {
    [parent]: { model: { child: { rid: model } } },
    [model]: { model: MODEL },
  });
  const c = await connectAs(env, t);
  await subscribe(c, parent);
  assert.deepEqual(await subscribe(c, model), {});

  env.service.event(model, "change", { values: { int: 1 } });
  env.service.event(model, "custom", { x: 1 });
  await expectEvent(c, `${model}.change`, { values: { int: 1 } });
  await expectEvent(c, `${model}.custom`, { x: 1 });
  await expectMarker(env, c, model);
});

test("events while a cached resource awaits access are sent after the response", async (t) => {
  const p = env.prefix("q");
  const model = `${p}.model`;
  const c1 = await connectAs(env, t);
  await subscribeManual(env, c1, model, { model: MODEL });

  const c2 = await connectAs(env, t);
  const id = c2.sendRequest(`subscribe.${model}`);
  const access = await env.service.next(`access.${model}`);
  env.service.event(model, "change", { values: { string: "bar" } });
  env.service.event(model, "custom", { n: 1 });
  await expectEvent(c1, `${model}.change`, { values: { string: "bar" } });
  await expectEvent(c1, `${model}.custom`, { n: 1 });
  await c2.noEvent(50);

  access.access(true);
  // The resource was taken from the cache before the events: they follow the response.
  assert.deepEqual((await c2.response(id)).result, { models: { [model]: MODEL } });
  await expectEvent(c2, `${model}.change`, { values: { string: "bar" } });
  await expectEvent(c2, `${model}.custom`, { n: 1 });
  await expectMarker(env, c2, model);
});

test("clients waiting on the same get all get the reply, and no earlier events", async (t) => {
  const p = env.prefix("q");
  const coll = `${p}.collection`;
  const c1 = await connectAs(env, t);
  const c2 = await connectAs(env, t);
  env.service.handle(`access.${coll}`, (r) => r.access(true));

  const id1 = c1.sendRequest(`subscribe.${coll}`);
  const get = await env.service.next(`get.${coll}`);
  const id2 = c2.sendRequest(`subscribe.${coll}`);
  await env.service.noRequest(`get.${coll}`, 100);
  env.service.event(coll, "add", { idx: 0, value: "early" });
  await env.service.flush();
  get.collection(COLLECTION);

  for (const [c, id] of [
    [c1, id1],
    [c2, id2],
  ] as const) {
    assert.deepEqual((await c.response(id)).result, { collections: { [coll]: COLLECTION } });
  }
  env.service.event(coll, "add", { idx: 0, value: "late" });
  for (const c of [c1, c2]) {
    await expectEvent(c, `${coll}.add`, { idx: 0, value: "late" });
    await c.noEvent(20);
  }
});
