// The per-connection subscription tree: indirect subscriptions through
// references, garbage collection of resources no longer reachable from a direct
// subscription (cycles included), resources sent again once released, the
// "indirectsent" cases of Resgate's test/30indirectsent_test.go (issue #241), and
// eviction from the cache after the unsubscribe delay.
import assert from "node:assert/strict";
import { after, before, test, type TestContext } from "node:test";
import { TestEnv } from "../support/env.js";
import {
  answer,
  connectAs,
  count,
  expectCustom,
  expectEvent,
  expectNoCustom,
  serve,
  sleep,
  subscribe,
  unsubscribe,
} from "../support/events-helpers.js";
import type { TestClient } from "../support/ws-client.js";

const DELAY_MS = 100;

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({ unsubscribeDelayMs: DELAY_MS });
});
after(async () => {
  await env.stop();
});

const MODEL = { string: "foo", int: 42, bool: true, null: null };

/** A client with a directly subscribed resource `<p>.anchor` to publish markers on. */
async function clientWithAnchor(t: TestContext, p: string): Promise<[TestClient, string]> {
  const anchor = `${p}.anchor`;
  serve(env, { [anchor]: { model: { anchor: true } } });
  const c = await connectAs(env, t);
  await subscribe(c, anchor);
  return [c, anchor];
}

/** Waits until the gateway's cache holds at most `n` resources. */
async function cacheDrainsTo(n: number, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (env.gateway.cachedResources > n) {
    if (Date.now() > end) {
      assert.fail(`cache still holds ${env.gateway.cachedResources} resources (want ≤ ${n})`);
    }
    await sleep(20);
  }
}

test("a cycle referenced from a root is released with the root", async (t) => {
  const p = env.prefix("g");
  const [root, a, b] = [`${p}.root`, `${p}.a`, `${p}.b`];
  serve(env, {
    [root]: { model: { a: { rid: a } } },
    [a]: { model: { b: { rid: b } } },
    [b]: { model: { a: { rid: a } } },
  });
  const [c, anchor] = await clientWithAnchor(t, p);
  assert.deepEqual(await subscribe(c, root), {
    models: { [root]: { a: { rid: a } }, [a]: { b: { rid: b } }, [b]: { a: { rid: a } } },
  });
  await expectCustom(env, c, a);
  await expectCustom(env, c, b);

  await unsubscribe(c, root);
  await expectNoCustom(env, c, a, anchor);
  await expectNoCustom(env, c, b, anchor);
  await expectNoCustom(env, c, root, anchor);

  // Both are sent again when subscribed again.
  assert.deepEqual(await subscribe(c, a), {
    models: { [a]: { b: { rid: b } }, [b]: { a: { rid: a } } },
  });
  await expectCustom(env, c, b);
});

test("a resource referencing itself is released when unsubscribed", async (t) => {
  const p = env.prefix("g");
  const a = `${p}.a`;
  serve(env, { [a]: { model: { a: { rid: a } } } });
  const [c, anchor] = await clientWithAnchor(t, p);
  assert.deepEqual(await subscribe(c, a), { models: { [a]: { a: { rid: a } } } });
  await expectCustom(env, c, a);

  await unsubscribe(c, a);
  await expectNoCustom(env, c, a, anchor);
});

test("a group of cycles entered from outside is released with its entry point", async (t) => {
  const p = env.prefix("g");
  const [d, e, f, g] = [`${p}.d`, `${p}.e`, `${p}.f`, `${p}.g`];
  serve(env, {
    [d]: { model: { e: { rid: e }, f: { rid: f } } },
    [e]: { model: { d: { rid: d } } },
    [f]: { model: { d: { rid: d } } },
    [g]: { model: { e: { rid: e }, f: { rid: f } } },
  });
  const [c, anchor] = await clientWithAnchor(t, p);
  assert.deepEqual(await subscribe(c, g), {
    models: {
      [d]: { e: { rid: e }, f: { rid: f } },
      [e]: { d: { rid: d } },
      [f]: { d: { rid: d } },
      [g]: { e: { rid: e }, f: { rid: f } },
    },
  });
  for (const rid of [d, e, f, g]) await expectCustom(env, c, rid);

  await unsubscribe(c, g);
  for (const rid of [d, e, f, g]) await expectNoCustom(env, c, rid, anchor);
});

test("a cycle stays while another direct subscription reaches it", async (t) => {
  const p = env.prefix("g");
  const [d, e, f, h] = [`${p}.d`, `${p}.e`, `${p}.f`, `${p}.h`];
  serve(env, {
    [d]: { model: { e: { rid: e }, f: { rid: f } } },
    [e]: { model: { d: { rid: d } } },
    [f]: { model: { d: { rid: d } } },
    [h]: { model: { e: { rid: e } } },
  });
  const [c, anchor] = await clientWithAnchor(t, p);
  await subscribe(c, d);
  // e (and through it d and f) is already held by the client.
  assert.deepEqual(await subscribe(c, h), { models: { [h]: { e: { rid: e } } } });

  await unsubscribe(c, d);
  for (const rid of [d, e, f, h]) await expectCustom(env, c, rid);

  await unsubscribe(c, h);
  for (const rid of [d, e, f, h]) await expectNoCustom(env, c, rid, anchor);
});

test("a cycle member subscribed directly keeps the cycle when the root goes", async (t) => {
  const p = env.prefix("g");
  const [root, a, b] = [`${p}.root`, `${p}.a`, `${p}.b`];
  serve(env, {
    [root]: { model: { a: { rid: a } } },
    [a]: { model: { b: { rid: b } } },
    [b]: { model: { a: { rid: a } } },
  });
  const [c, anchor] = await clientWithAnchor(t, p);
  await subscribe(c, root);
  assert.deepEqual(await subscribe(c, b), {});

  await unsubscribe(c, root);
  await expectCustom(env, c, a);
  await expectCustom(env, c, b);
  await expectNoCustom(env, c, root, anchor);

  await unsubscribe(c, b);
  await expectNoCustom(env, c, a, anchor);
  await expectNoCustom(env, c, b, anchor);

  // Everything is sent again when the root is subscribed again.
  assert.deepEqual(await subscribe(c, root), {
    models: { [root]: { a: { rid: a } }, [a]: { b: { rid: b } }, [b]: { a: { rid: a } } },
  });
});

test("a resource both direct and indirect stays when the direct subscription goes", async (t) => {
  const p = env.prefix("g");
  const [parent, child] = [`${p}.parent`, `${p}.child`];
  serve(env, {
    [parent]: { model: { child: { rid: child } } },
    [child]: { model: MODEL },
  });
  const [c, anchor] = await clientWithAnchor(t, p);
  await subscribe(c, parent);
  assert.deepEqual(await subscribe(c, child), {});

  await unsubscribe(c, child);
  await expectCustom(env, c, child);
  await expectCustom(env, c, parent);

  await unsubscribe(c, parent);
  await expectNoCustom(env, c, child, anchor);
  await expectNoCustom(env, c, parent, anchor);
});

test("a resource both direct and indirect stays when the referencing parent goes", async (t) => {
  const p = env.prefix("g");
  const [parent, child] = [`${p}.parent`, `${p}.child`];
  serve(env, {
    [parent]: { model: { child: { rid: child } } },
    [child]: { model: MODEL },
  });
  const [c, anchor] = await clientWithAnchor(t, p);
  await subscribe(c, parent);
  assert.deepEqual(await subscribe(c, child), {});

  await unsubscribe(c, parent);
  await expectCustom(env, c, child);
  await expectNoCustom(env, c, parent, anchor);

  // The child is still held by the client: only the parent is sent.
  assert.deepEqual(await subscribe(c, parent), { models: { [parent]: { child: { rid: child } } } });

  await unsubscribe(c, child);
  await expectCustom(env, c, child);
});

test("a resource referenced by two parents stays until both are gone", async (t) => {
  const p = env.prefix("g");
  const [p1, p2, child] = [`${p}.parent`, `${p}.secondparent`, `${p}.child`];
  serve(env, {
    [p1]: { model: { name: "parent", child: { rid: child } } },
    [p2]: { model: { name: "secondparent", child: { rid: child } } },
    [child]: { model: MODEL },
  });
  const [c, anchor] = await clientWithAnchor(t, p);
  await subscribe(c, p1);
  assert.deepEqual(await subscribe(c, p2), {
    models: { [p2]: { name: "secondparent", child: { rid: child } } },
  });

  await unsubscribe(c, p1);
  await expectNoCustom(env, c, p1, anchor);
  await expectCustom(env, c, p2);
  await expectCustom(env, c, child);

  await unsubscribe(c, p2);
  await expectNoCustom(env, c, child, anchor);
});

test("a released resource is sent again when a change event references it again", async (t) => {
  const p = env.prefix("g");
  const [parent, child] = [`${p}.parent`, `${p}.child`];
  serve(env, {
    [parent]: { model: { child: { rid: child } } },
    [child]: { model: MODEL },
  });
  const c = await connectAs(env, t);
  await subscribe(c, parent);

  env.service.event(parent, "change", { values: { child: null } });
  await expectEvent(c, `${parent}.change`, { values: { child: null } });
  env.service.event(parent, "change", { values: { child: { rid: child } } });
  await expectEvent(c, `${parent}.change`, {
    values: { child: { rid: child } },
    models: { [child]: MODEL },
  });
  await expectCustom(env, c, child);
});

test("a released resource is sent again when its parent is subscribed again", async (t) => {
  const p = env.prefix("g");
  const [parent, child] = [`${p}.parent`, `${p}.child`];
  serve(env, {
    [parent]: { model: { child: { rid: child } } },
    [child]: { model: MODEL },
  });
  const c = await connectAs(env, t);
  const full = { models: { [parent]: { child: { rid: child } }, [child]: MODEL } };
  assert.deepEqual(await subscribe(c, parent), full);
  await unsubscribe(c, parent);
  assert.deepEqual(await subscribe(c, parent), full);
});

test("a reference to a resource subscribed twice directly survives one unsubscribe", async (t) => {
  const p = env.prefix("g");
  const model = `${p}.model`;
  serve(env, { [model]: { model: MODEL } });
  const [c, anchor] = await clientWithAnchor(t, p);
  await subscribe(c, model);
  assert.deepEqual(await subscribe(c, model), {});

  await unsubscribe(c, model);
  await expectCustom(env, c, model);
  await unsubscribe(c, model);
  await expectNoCustom(env, c, model, anchor);
});

// --- Resources sent earlier and released while a new reference to them loads ---

const delayed = { name: "delayed" };

interface SentCase {
  name: string;
  /** Makes the client hold `<p>.model`, sent to it. */
  hold: (c: TestClient, p: string) => Promise<void>;
  /** Makes the client let go of `<p>.model` (other than through the new reference). */
  release: (c: TestClient, p: string) => Promise<void>;
}

/** Serves `<p>.model` and `<p>.model.parent`, with the parent's child given. */
function serveModelAndParent(p: string, child: unknown): void {
  serve(env, {
    [`${p}.model`]: { model: MODEL },
    [`${p}.model.parent`]: { model: { name: "parent", child } },
  });
}

async function changeChild(c: TestClient, p: string, child: unknown): Promise<void> {
  const parent = `${p}.model.parent`;
  env.service.event(parent, "change", { values: { child } });
  await expectEvent(c, `${parent}.change`, { values: { child } });
}

const sentCases: SentCase[] = [
  {
    name: "directly subscribed, then unsubscribed",
    hold: async (c, p) => {
      serveModelAndParent(p, null);
      await subscribe(c, `${p}.model`);
    },
    release: (c, p) => unsubscribe(c, `${p}.model`),
  },
  {
    name: "referenced by a subscribed parent, then the parent unsubscribed",
    hold: async (c, p) => {
      serveModelAndParent(p, { rid: `${p}.model` });
      await subscribe(c, `${p}.model.parent`);
    },
    release: (c, p) => unsubscribe(c, `${p}.model.parent`),
  },
  {
    name: "referenced by a subscribed parent, then removed by a change event",
    hold: async (c, p) => {
      serveModelAndParent(p, { rid: `${p}.model` });
      await subscribe(c, `${p}.model.parent`);
    },
    release: (c, p) => changeChild(c, p, null),
  },
  {
    name: "direct and added by a change event, then unsubscribed and removed by a change event",
    hold: async (c, p) => {
      serveModelAndParent(p, null);
      await subscribe(c, `${p}.model`);
      await subscribe(c, `${p}.model.parent`);
      await changeChild(c, p, { rid: `${p}.model` });
    },
    release: async (c, p) => {
      await unsubscribe(c, `${p}.model`);
      await changeChild(c, p, null);
    },
  },
  {
    name: "added by a change event, then removed by a change event",
    hold: async (c, p) => {
      serveModelAndParent(p, null);
      await subscribe(c, `${p}.model.parent`);
      const parent = `${p}.model.parent`;
      env.service.event(parent, "change", { values: { child: { rid: `${p}.model` } } });
      await expectEvent(c, `${parent}.change`, {
        values: { child: { rid: `${p}.model` } },
        models: { [`${p}.model`]: MODEL },
      });
    },
    release: (c, p) => changeChild(c, p, null),
  },
  {
    name: "direct and referenced, then removed by a change event and unsubscribed",
    hold: async (c, p) => {
      serveModelAndParent(p, { rid: `${p}.model` });
      await subscribe(c, `${p}.model`);
      assert.deepEqual(await subscribe(c, `${p}.model.parent`), {
        models: { [`${p}.model.parent`]: { name: "parent", child: { rid: `${p}.model` } } },
      });
    },
    release: async (c, p) => {
      await changeChild(c, p, null);
      await unsubscribe(c, `${p}.model`);
    },
  },
];

for (const sc of sentCases) {
  test(`subscribe response includes a resource released while loading: ${sc.name}`, async (t) => {
    const p = env.prefix("is");
    const model = `${p}.model`;
    const dp = `${p}.model.delayedparent`;
    const dl = `${p}.model.delayed`;
    const dpModel = { name: "delayedparent", child: { rid: model }, delayed: { rid: dl } };
    serve(env, { [dp]: { model: dpModel } });
    const c = await connectAs(env, t);
    await sc.hold(c, p);

    const id = c.sendRequest(`subscribe.${dp}`);
    const get = await env.service.next(`get.${dl}`);
    await sc.release(c, p);
    answer(get, { model: delayed });

    const r = await c.response(id);
    assert.deepEqual(r.result, { models: { [model]: MODEL, [dp]: dpModel, [dl]: delayed } });
    await expectCustom(env, c, model);
  });
}

for (const sc of sentCases) {
  test(`change event includes a resource released while loading: ${sc.name}`, async (t) => {
    const p = env.prefix("is");
    const model = `${p}.model`;
    const dgp = `${p}.model.delayedgrandparent`;
    const dp = `${p}.model.delayedparent`;
    const dl = `${p}.model.delayed`;
    const dpModel = { name: "delayedparent", child: { rid: model }, delayed: { rid: dl } };
    const dgpModel = { name: "delayedgrandparent", parent: null };
    serve(env, { [dp]: { model: dpModel }, [dgp]: { model: dgpModel } });
    const c = await connectAs(env, t);
    await sc.hold(c, p);
    assert.deepEqual(await subscribe(c, dgp), { models: { [dgp]: dgpModel } });

    env.service.event(dgp, "change", { values: { parent: { rid: dp } } });
    const get = await env.service.next(`get.${dl}`);
    await sc.release(c, p);
    answer(get, { model: delayed });

    await expectEvent(c, `${dgp}.change`, {
      values: { parent: { rid: dp } },
      models: { [model]: MODEL, [dp]: dpModel, [dl]: delayed },
    });
    await expectCustom(env, c, dp);
    await expectCustom(env, c, model);
  });
}

for (const sc of sentCases) {
  test(`add event includes a resource released while loading: ${sc.name}`, async (t) => {
    const p = env.prefix("is");
    const model = `${p}.model`;
    const dgp = `${p}.collection.delayedgrandparent`;
    const dp = `${p}.model.delayedparent`;
    const dl = `${p}.model.delayed`;
    const dpModel = { name: "delayedparent", child: { rid: model }, delayed: { rid: dl } };
    serve(env, { [dp]: { model: dpModel }, [dgp]: { collection: ["delayedgrandparent"] } });
    const c = await connectAs(env, t);
    await sc.hold(c, p);
    assert.deepEqual(await subscribe(c, dgp), { collections: { [dgp]: ["delayedgrandparent"] } });

    env.service.event(dgp, "add", { idx: 1, value: { rid: dp } });
    const get = await env.service.next(`get.${dl}`);
    await sc.release(c, p);
    answer(get, { model: delayed });

    await expectEvent(c, `${dgp}.add`, {
      idx: 1,
      value: { rid: dp },
      models: { [model]: MODEL, [dp]: dpModel, [dl]: delayed },
    });
    await expectCustom(env, c, dp);
    await expectCustom(env, c, model);
  });
}

test("subscribe response includes a nested resource released while loading", async (t) => {
  const p = env.prefix("is");
  const model = `${p}.model`;
  const parent = `${p}.model.parent`;
  const dgp = `${p}.model.delayedGrandparent`;
  const dl = `${p}.model.delayed`;
  const parentModel = { name: "parent", child: { rid: model } };
  const dgpModel = { name: "delayedGrandparent", child: { rid: parent }, delayed: { rid: dl } };
  serve(env, {
    [model]: { model: MODEL },
    [parent]: { model: parentModel },
    [dgp]: { model: dgpModel },
  });
  const c = await connectAs(env, t);
  await subscribe(c, parent);

  const id = c.sendRequest(`subscribe.${dgp}`);
  const get = await env.service.next(`get.${dl}`);
  await unsubscribe(c, parent);
  answer(get, { model: delayed });

  const r = await c.response(id);
  assert.deepEqual(r.result, {
    models: { [model]: MODEL, [parent]: parentModel, [dgp]: dgpModel, [dl]: delayed },
  });
});

// --- The cache and its unsubscribe delay ---

test("within the unsubscribe delay a resource is served from the cache", async (t) => {
  const p = env.prefix("ev");
  const model = `${p}.model`;
  serve(env, { [model]: { model: MODEL } });
  const c = await connectAs(env, t);
  assert.deepEqual(await subscribe(c, model), { models: { [model]: MODEL } });
  await unsubscribe(c, model);
  assert.deepEqual(await subscribe(c, model), { models: { [model]: MODEL } });
  assert.equal(count(env, `get.${model}`), 1, "no new get request within the delay");
  assert.equal(count(env, `access.${model}`), 2, "access is always asked");
});

test("after the unsubscribe delay a resource is evicted and fetched again", async (t) => {
  const p = env.prefix("ev");
  const model = `${p}.model`;
  serve(env, { [model]: { model: MODEL } });
  const c = await connectAs(env, t);
  await subscribe(c, model);
  assert.ok(env.gateway.cachedResources >= 1);
  await unsubscribe(c, model);

  await sleep(DELAY_MS * 3);
  await cacheDrainsTo(0);
  assert.deepEqual(await subscribe(c, model), { models: { [model]: MODEL } });
  assert.equal(count(env, `get.${model}`), 2, "a new get request after eviction");
  assert.equal(count(env, `access.${model}`), 2);
});

test("an evicted resource is fetched anew instead of served from the old cache entry", async (t) => {
  const p = env.prefix("ev");
  const model = `${p}.model`;
  const c = await connectAs(env, t);
  env.service.handle(`access.${model}`, (r) => r.access(true));
  let version = 0;
  env.service.handle(`get.${model}`, (r) => r.model({ version: ++version }));
  assert.deepEqual(await subscribe(c, model), { models: { [model]: { version: 1 } } });
  env.service.event(model, "change", { values: { version: 100 } });
  await expectEvent(c, `${model}.change`, { values: { version: 100 } });
  await unsubscribe(c, model);

  await sleep(DELAY_MS * 3);
  await cacheDrainsTo(0);
  assert.deepEqual(await subscribe(c, model), { models: { [model]: { version: 2 } } });
});

test("referenced resources are evicted with their parent after the delay", async (t) => {
  const p = env.prefix("ev");
  const [parent, child] = [`${p}.parent`, `${p}.child`];
  serve(env, {
    [parent]: { model: { child: { rid: child } } },
    [child]: { model: MODEL },
  });
  const c = await connectAs(env, t);
  const full = { models: { [parent]: { child: { rid: child } }, [child]: MODEL } };
  assert.deepEqual(await subscribe(c, parent), full);
  await unsubscribe(c, parent);
  assert.deepEqual(await subscribe(c, parent), full);
  assert.equal(count(env, `get.${parent}`), 1);
  assert.equal(count(env, `get.${child}`), 1);
  await unsubscribe(c, parent);

  await sleep(DELAY_MS * 3);
  await cacheDrainsTo(0);
  assert.deepEqual(await subscribe(c, parent), full);
  assert.equal(count(env, `get.${parent}`), 2);
  assert.equal(count(env, `get.${child}`), 2);
  assert.equal(count(env, `access.${child}`), 0, "no access request for a reference");
});

test("a cycle released by a client is evicted after the delay", async (t) => {
  const p = env.prefix("ev");
  const [root, a, b] = [`${p}.root`, `${p}.a`, `${p}.b`];
  serve(env, {
    [root]: { model: { a: { rid: a } } },
    [a]: { model: { b: { rid: b } } },
    [b]: { model: { a: { rid: a } } },
  });
  const c = await connectAs(env, t);
  await subscribe(c, root);
  await unsubscribe(c, root);

  await sleep(DELAY_MS * 3);
  await cacheDrainsTo(0);
  await subscribe(c, root);
  for (const rid of [root, a, b]) assert.equal(count(env, `get.${rid}`), 2, rid);
});

test("a reference released by a change event is evicted after the delay", async (t) => {
  const p = env.prefix("ev");
  const [parent, child] = [`${p}.parent`, `${p}.child`];
  serve(env, {
    [parent]: { model: { child: { rid: child } } },
    [child]: { model: MODEL },
  });
  const c = await connectAs(env, t);
  await subscribe(c, parent);
  env.service.event(parent, "change", { values: { child: null } });
  await expectEvent(c, `${parent}.change`, { values: { child: null } });

  await sleep(DELAY_MS * 3);
  await cacheDrainsTo(1);
  env.service.event(parent, "change", { values: { child: { rid: child } } });
  await expectEvent(c, `${parent}.change`, {
    values: { child: { rid: child } },
    models: { [child]: MODEL },
  });
  assert.equal(count(env, `get.${child}`), 2);
  assert.equal(count(env, `get.${parent}`), 1);
});

test("a resource another client still holds is not evicted", async (t) => {
  const p = env.prefix("ev");
  const model = `${p}.model`;
  serve(env, { [model]: { model: MODEL } });
  const c1 = await connectAs(env, t);
  const c2 = await connectAs(env, t);
  await subscribe(c1, model);
  await subscribe(c2, model);
  await unsubscribe(c1, model);

  await sleep(DELAY_MS * 3);
  assert.deepEqual(await subscribe(c1, model), { models: { [model]: MODEL } });
  assert.equal(count(env, `get.${model}`), 1);
  assert.equal(count(env, `access.${model}`), 3);
});

test("a resource is evicted after its last client disconnects", async (t) => {
  const p = env.prefix("ev");
  const [parent, child] = [`${p}.parent`, `${p}.child`];
  serve(env, {
    [parent]: { model: { child: { rid: child } } },
    [child]: { model: MODEL },
  });
  const c1 = await connectAs(env, t);
  await subscribe(c1, parent);
  c1.close();
  await c1.closed;

  await sleep(DELAY_MS * 3);
  await cacheDrainsTo(0);
  const c2 = await connectAs(env, t);
  await subscribe(c2, parent);
  assert.equal(count(env, `get.${parent}`), 2);
  assert.equal(count(env, `get.${child}`), 2);
});

test("a resource that a change event makes reference itself is released when unsubscribed", async (t) => {
  const p = env.prefix("g");
  const model = `${p}.model`;
  serve(env, { [model]: { model: MODEL } });
  const [c, anchor] = await clientWithAnchor(t, p);
  await subscribe(c, model);

  env.service.event(model, "change", { values: { self: { rid: model } } });
  await expectEvent(c, `${model}.change`, { values: { self: { rid: model } } });
  await expectCustom(env, c, model);

  await unsubscribe(c, model);
  await expectNoCustom(env, c, model, anchor);
});

test("a change event cutting a cycle off its root releases the cycle", async (t) => {
  const p = env.prefix("g");
  const [root, a, b] = [`${p}.root`, `${p}.a`, `${p}.b`];
  serve(env, {
    [root]: { model: { a: { rid: a } } },
    [a]: { model: { b: { rid: b } } },
    [b]: { model: { a: { rid: a } } },
  });
  const c = await connectAs(env, t);
  await subscribe(c, root);

  env.service.event(root, "change", { values: { a: null } });
  await expectEvent(c, `${root}.change`, { values: { a: null } });
  await expectNoCustom(env, c, a, root);
  await expectNoCustom(env, c, b, root);

  env.service.event(root, "change", { values: { a: { rid: a } } });
  await expectEvent(c, `${root}.change`, {
    values: { a: { rid: a } },
    models: { [a]: { b: { rid: b } }, [b]: { a: { rid: a } } },
  });
});

test("events on a referenced resource that failed to load are not sent", async (t) => {
  const p = env.prefix("g");
  const [parent, missing] = [`${p}.brokenchild`, `${p}.missing`];
  serve(env, { [parent]: { model: { name: "brokenchild", child: { rid: missing } } } });
  env.service.handle(`get.${missing}`, (r) => r.error("system.notFound", "Not found"));
  const c = await connectAs(env, t);
  assert.deepEqual(await subscribe(c, parent), {
    models: { [parent]: { name: "brokenchild", child: { rid: missing } } },
    errors: { [missing]: { code: "system.notFound", message: "Not found" } },
  });
  await expectNoCustom(env, c, missing, parent);
});
