// Delete events: the client gets <rid>.delete followed by an unsubscribe event
// with reason system.deleted, later events are dropped, and the deleted resource
// is not served from the cache again (Resgate's test/29delete_event_test.go).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";
import {
  DELETED_REASON,
  connectAs,
  count,
  expectCustom,
  expectEvent,
  expectMarker,
  expectNoCustom,
  serve,
  subscribe,
  unsubscribe,
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

for (const kind of ["model", "collection"] as const) {
  test(`delete event on a ${kind} is sent, followed by an unsubscribe event`, async (t) => {
    const p = env.prefix("d");
    const rid = `${p}.${kind}`;
    const other = `${p}.other`;
    serve(env, {
      [rid]: kind === "model" ? { model: MODEL } : { collection: COLLECTION },
      [other]: { model: {} },
    });
    const c = await connectAs(env, t);
    await subscribe(c, rid);
    await subscribe(c, other);

    env.service.event(rid, "delete", null);
    await expectEvent(c, `${rid}.delete`, null);
    await expectEvent(c, `${rid}.unsubscribe`, DELETED_REASON);

    // Later events on the deleted resource are not sent.
    await expectNoCustom(env, c, rid, other);
  });
}

test("delete event with an empty payload is sent with null data", async (t) => {
  const p = env.prefix("d");
  const rid = `${p}.model`;
  serve(env, { [rid]: { model: MODEL } });
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "delete");
  await expectEvent(c, `${rid}.delete`, null);
  await expectEvent(c, `${rid}.unsubscribe`, DELETED_REASON);
});

test("delete event payload is passed on as the service sent it", async (t) => {
  const p = env.prefix("d");
  const rid = `${p}.model`;
  serve(env, { [rid]: { model: MODEL } });
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "delete", { why: "gone" });
  await expectEvent(c, `${rid}.delete`, { why: "gone" });
  await expectEvent(c, `${rid}.unsubscribe`, DELETED_REASON);
});

test("a deleted resource is no longer subscribed: unsubscribe gives noSubscription", async (t) => {
  const p = env.prefix("d");
  const rid = `${p}.model`;
  serve(env, { [rid]: { model: MODEL } });
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "delete", null);
  await expectEvent(c, `${rid}.delete`, null);
  await expectEvent(c, `${rid}.unsubscribe`, DELETED_REASON);
  assert.deepEqual(await c.error(`unsubscribe.${rid}`), {
    code: "system.noSubscription",
    message: "No subscription",
  });
});

test("delete event sent before the get response is discarded", async (t) => {
  const p = env.prefix("d");
  const rid = `${p}.model`;
  const c = await connectAs(env, t);

  const id = c.sendRequest(`subscribe.${rid}`);
  const [access, get] = await Promise.all([
    env.service.next(`access.${rid}`),
    env.service.next(`get.${rid}`),
  ]);
  env.service.event(rid, "delete", null);
  await env.service.flush();
  get.model(MODEL);
  access.access(true);
  assert.deepEqual((await c.response(id)).result, { models: { [rid]: MODEL } });

  await expectCustom(env, c, rid);
});

test("a deleted resource is not cached: another client's subscribe gets it anew", async (t) => {
  const p = env.prefix("d");
  const rid = `${p}.model`;
  serve(env, { [rid]: { model: MODEL } });
  const c1 = await connectAs(env, t);
  const c2 = await connectAs(env, t);
  await subscribe(c1, rid);

  env.service.event(rid, "delete", null);
  await expectEvent(c1, `${rid}.delete`, null);
  await expectEvent(c1, `${rid}.unsubscribe`, DELETED_REASON);

  assert.deepEqual(await subscribe(c2, rid), { models: { [rid]: MODEL } });
  assert.equal(count(env, `get.${rid}`), 2);
  env.service.event(rid, "custom", { n: 1 });
  await expectEvent(c2, `${rid}.custom`, { n: 1 });
  await c1.noEvent(50);
});

test("a deleted resource can be subscribed again by the same client", async (t) => {
  const p = env.prefix("d");
  const rid = `${p}.model`;
  const other = `${p}.other`;
  serve(env, { [rid]: { model: MODEL }, [other]: { model: {} } });
  const c = await connectAs(env, t);
  await subscribe(c, rid);
  await subscribe(c, other);

  env.service.event(rid, "delete", null);
  await expectEvent(c, `${rid}.delete`, null);
  await expectEvent(c, `${rid}.unsubscribe`, DELETED_REASON);
  await expectNoCustom(env, c, rid, other);

  assert.deepEqual(await subscribe(c, rid), { models: { [rid]: MODEL } });
  assert.equal(count(env, `get.${rid}`), 2);
  await expectCustom(env, c, rid);
});

for (const kind of ["model", "collection"] as const) {
  test(`delete event on a ${kind} no client subscribes to sends nothing`, async (t) => {
    const p = env.prefix("d");
    const rid = `${p}.${kind}`;
    const other = `${p}.other`;
    serve(env, {
      [rid]: kind === "model" ? { model: MODEL } : { collection: COLLECTION },
      [other]: { model: {} },
    });
    const c = await connectAs(env, t);
    await subscribe(c, other);
    await subscribe(c, rid);
    await unsubscribe(c, rid);

    env.service.event(rid, "delete", null);
    await expectMarker(env, c, other);
    await c.noEvent(50);
  });
}

test("an indirectly subscribed resource gets a delete event but no unsubscribe event", async (t) => {
  const p = env.prefix("d");
  const parent = `${p}.parent`;
  const child = `${p}.model`;
  serve(env, {
    [parent]: { model: { name: "parent", child: { rid: child } } },
    [child]: { model: MODEL },
  });
  const c = await connectAs(env, t);
  await subscribe(c, parent);

  env.service.event(child, "delete", null);
  await expectEvent(c, `${child}.delete`, null);
  await expectMarker(env, c, parent);
  // Events on the deleted child are not sent any more.
  await expectNoCustom(env, c, child, parent);
});

test("a resource subscribed both directly and indirectly gets delete and unsubscribe", async (t) => {
  const p = env.prefix("d");
  const parent = `${p}.parent`;
  const child = `${p}.model`;
  serve(env, {
    [parent]: { model: { name: "parent", child: { rid: child } } },
    [child]: { model: MODEL },
  });
  const c = await connectAs(env, t);
  await subscribe(c, parent);
  assert.deepEqual(await subscribe(c, child), {});

  env.service.event(child, "delete", null);
  await expectEvent(c, `${child}.delete`, null);
  await expectEvent(c, `${child}.unsubscribe`, DELETED_REASON);
  await expectMarker(env, c, parent);
  await expectNoCustom(env, c, child, parent);
  // The direct subscription is gone.
  assert.deepEqual(await c.error(`unsubscribe.${child}`), {
    code: "system.noSubscription",
    message: "No subscription",
  });
});

test("a resource subscribed twice directly gets one unsubscribe event", async (t) => {
  const p = env.prefix("d");
  const rid = `${p}.model`;
  const other = `${p}.other`;
  serve(env, { [rid]: { model: MODEL }, [other]: { model: {} } });
  const c = await connectAs(env, t);
  await subscribe(c, other);
  await subscribe(c, rid);
  assert.deepEqual(await subscribe(c, rid), {});

  env.service.event(rid, "delete", null);
  await expectEvent(c, `${rid}.delete`, null);
  await expectEvent(c, `${rid}.unsubscribe`, DELETED_REASON);
  await expectMarker(env, c, other);
  assert.deepEqual(await c.error(`unsubscribe.${rid}`), {
    code: "system.noSubscription",
    message: "No subscription",
  });
});

test("delete event is sent to every subscribing client", async (t) => {
  const p = env.prefix("d");
  const rid = `${p}.collection`;
  serve(env, { [rid]: { collection: COLLECTION } });
  const c1 = await connectAs(env, t);
  const c2 = await connectAs(env, t);
  await subscribe(c1, rid);
  await subscribe(c2, rid);

  env.service.event(rid, "delete", null);
  for (const c of [c1, c2]) {
    await expectEvent(c, `${rid}.delete`, null);
    await expectEvent(c, `${rid}.unsubscribe`, DELETED_REASON);
  }
});

test("change events after a delete event are dropped", async (t) => {
  const p = env.prefix("d");
  const rid = `${p}.model`;
  const other = `${p}.other`;
  serve(env, { [rid]: { model: MODEL }, [other]: { model: {} } });
  const c = await connectAs(env, t);
  await subscribe(c, other);
  await subscribe(c, rid);

  env.service.event(rid, "delete", null);
  env.service.event(rid, "change", { values: { string: "bar" } });
  env.service.event(rid, "delete", null);
  await expectEvent(c, `${rid}.delete`, null);
  await expectEvent(c, `${rid}.unsubscribe`, DELETED_REASON);
  await expectMarker(env, c, other);
  await c.noEvent(50);
});

test("a delete event waits behind a change event loading a reference", async (t) => {
  const p = env.prefix("d");
  const rid = `${p}.model`;
  const ref = `${p}.ref`;
  serve(env, { [rid]: { model: MODEL } });
  env.service.handle(`access.${ref}`, (r) => r.access(true));
  const c = await connectAs(env, t);
  await subscribe(c, rid);

  env.service.event(rid, "change", { values: { ref: { rid: ref } } });
  const get = await env.service.next(`get.${ref}`);
  env.service.event(rid, "delete", null);
  await env.service.flush();
  await c.noEvent(100);

  get.model({ name: "ref" });
  await expectEvent(c, `${rid}.change`, {
    values: { ref: { rid: ref } },
    models: { [ref]: { name: "ref" } },
  });
  await expectEvent(c, `${rid}.delete`, null);
  await expectEvent(c, `${rid}.unsubscribe`, DELETED_REASON);
  // The reference went with the deleted resource.
  assert.deepEqual(await subscribe(c, ref), { models: { [ref]: { name: "ref" } } });
});
