// The unsubscribe request: counts, its exact response frame, invalid params, and the
// release of referenced resources (Resgate's test/03unsubscribe_test.go; the count
// rules are those of server/rpc/rpc.go and wsConn.UnsubscribeByRID).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TestEnv } from "../support/env.js";
import {
  Err,
  ExtraGateway,
  MODEL,
  assertError,
  assertEvent,
  assertNoEvent,
  assertResult,
  connectUrl,
  connectVersion,
  fixtures,
  resourceSet,
  serveFixtures,
  sleep,
} from "../support/request-basics-helpers.js";
import type { TestClient } from "../support/ws-client.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

/** Sends an unsubscribe and asserts the response frame is exactly {"id":n}. */
async function unsubscribeOk(c: TestClient, rid: string, params?: unknown): Promise<void> {
  const id = c.sendRequest(`unsubscribe.${rid}`, params);
  assert.deepEqual(await c.response(id), { id });
  assert.ok(c.frames.includes(`{"id":${id}}`), `the frame is exactly {"id":${id}}`);
}

/** Sends a raw request frame with a fixed id (above the client's own ids) and returns the response. */
async function rawRequest(c: TestClient, id: number, rest: string): Promise<unknown> {
  c.send(`{"id":${id},${rest}}`);
  return c.response(id);
}

test('unsubscribe answers exactly {"id":n} and stops the events', async (t) => {
  const p = env.prefix();
  const fx = serveFixtures(env, p);
  const c = await connectVersion(env, t);
  assertResult(await c.request(`subscribe.${p}.model`), resourceSet(fx, [`${p}.model`]));
  await assertEvent(env, c, `${p}.model`);
  await unsubscribeOk(c, `${p}.model`);
  await assertNoEvent(env, c, `${p}.model`);
});

test("unsubscribe without a subscription is system.noSubscription", async (t) => {
  const c = await connectVersion(env, t);
  assertError(await c.request(`unsubscribe.${env.prefix()}.model`), Err.noSubscription);
});

for (const kind of ["model", "collection"] as const) {
  test(`unsubscribing a ${kind} stops the events of the ${kind} it references`, async (t) => {
    const p = env.prefix();
    serveFixtures(env, p);
    const c = await connectVersion(env, t);
    await c.result(`subscribe.${p}.${kind}.parent`);
    await unsubscribeOk(c, `${p}.${kind}.parent`);
    await assertNoEvent(env, c, `${p}.${kind}`);
    await assertNoEvent(env, c, `${p}.${kind}.parent`);
  });

  test(`a ${kind} referenced by two subscriptions keeps its events until both are gone`, async (t) => {
    const p = env.prefix();
    serveFixtures(env, p);
    const c = await connectVersion(env, t);
    await c.result(`subscribe.${p}.${kind}.parent`);
    await c.result(`subscribe.${p}.${kind}.secondparent`);
    await unsubscribeOk(c, `${p}.${kind}.parent`);
    await assertNoEvent(env, c, `${p}.${kind}.parent`);
    await assertEvent(env, c, `${p}.${kind}.secondparent`);
    await assertEvent(env, c, `${p}.${kind}`);
    await unsubscribeOk(c, `${p}.${kind}.secondparent`);
    await assertNoEvent(env, c, `${p}.${kind}`);
    await assertNoEvent(env, c, `${p}.${kind}.secondparent`);
  });
}

for (const [name, root, members] of [
  ["a model referencing itself", "m.a", ["m.a"]],
  ["a cycle b -> c -> b", "m.b", ["m.b", "m.c"]],
  ["the cycles d/e/f entered from g", "m.g", ["m.g", "m.d", "m.e", "m.f"]],
  ["a collection cycle b -> c -> b", "c.b", ["c.b", "c.c"]],
] as const) {
  test(`unsubscribing ${name} releases the whole cycle`, async (t) => {
    const p = env.prefix();
    serveFixtures(env, p);
    const c = await connectVersion(env, t);
    await c.result(`subscribe.${p}.${root}`);
    await unsubscribeOk(c, `${p}.${root}`);
    for (const m of members) await assertNoEvent(env, c, `${p}.${m}`, 40);
    await c.noEvent(100);
    // Released, not just silenced: subscribing again sends every resource.
    const r = await c.request(`subscribe.${p}.${root}`);
    assertResult(
      r,
      resourceSet(
        fixtures(p),
        members.map((m) => `${p}.${m}`),
      ),
    );
  });
}

test("a resource subscribed directly and referenced: unsubscribe keeps it for the reference", async (t) => {
  const p = env.prefix();
  serveFixtures(env, p);
  const c = await connectVersion(env, t);
  await c.result(`subscribe.${p}.model.parent`);
  assertResult(await c.request(`subscribe.${p}.model`), {});
  await unsubscribeOk(c, `${p}.model`);
  await assertEvent(env, c, `${p}.model`);
  assertError(await c.request(`unsubscribe.${p}.model`), Err.noSubscription);
  await assertEvent(env, c, `${p}.model`);
});

test("a resource held only as a reference cannot be unsubscribed", async (t) => {
  const p = env.prefix();
  serveFixtures(env, p);
  const c = await connectVersion(env, t);
  await c.result(`subscribe.${p}.model.parent`);
  assertError(await c.request(`unsubscribe.${p}.model`), Err.noSubscription);
  await assertEvent(env, c, `${p}.model`);
  await assertEvent(env, c, `${p}.model.parent`);
});

test("unsubscribing by one client leaves another client's subscription alone", async (t) => {
  const p = env.prefix();
  serveFixtures(env, p);
  const c1 = await connectVersion(env, t);
  const c2 = await connectVersion(env, t);
  await c1.result(`subscribe.${p}.model`);
  await c2.result(`subscribe.${p}.model`);
  await unsubscribeOk(c1, `${p}.model`);
  env.service.event(`${p}.model`, "custom", { foo: "bar" });
  await c2.event(`${p}.model.custom`, { foo: "bar" });
  await c1.noEvent(100);
});

test("unsubscribe of a rid with {cid} uses the rid as the client sent it", async (t) => {
  const p = env.prefix();
  env.service.handle(`access.${p}.*.model`, (r) => r.access(true));
  env.service.handle(`get.${p}.*.model`, (r) => r.model(MODEL));
  const c = await connectVersion(env, t);
  await c.result(`subscribe.${p}.{cid}.model`);
  const access = env.service.log.find(
    (r) => r.subject.startsWith(`access.${p}.`) && r.subject.endsWith(".model"),
  );
  assert.ok(access);
  env.service.event(`${p}.${access.cid}.model`, "custom", { foo: "bar" });
  await c.event(`${p}.{cid}.model.custom`, { foo: "bar" });
  await unsubscribeOk(c, `${p}.{cid}.model`);
  await assertNoEvent(env, c, `${p}.${access.cid}.model`);
});

// ---- counts --------------------------------------------------------------------------------

test("unsubscribe with a count removes that many direct subscriptions", async (t) => {
  const rid = `${env.prefix()}.model`;
  env.service.serveModel(rid, MODEL);
  const c = await connectVersion(env, t);
  for (let i = 0; i < 3; i++) await c.result(`subscribe.${rid}`);
  await unsubscribeOk(c, rid, { count: 2 });
  await assertEvent(env, c, rid);
  await unsubscribeOk(c, rid, { count: 1 });
  await assertNoEvent(env, c, rid);
  assertError(await c.request(`unsubscribe.${rid}`), Err.noSubscription);
});

test("a count larger than held is system.noSubscription and changes nothing", async (t) => {
  const rid = `${env.prefix()}.model`;
  env.service.serveModel(rid, MODEL);
  const c = await connectVersion(env, t);
  await c.result(`subscribe.${rid}`);
  await c.result(`subscribe.${rid}`);
  assertError(await c.request(`unsubscribe.${rid}`, { count: 3 }), Err.noSubscription);
  await assertEvent(env, c, rid);
  await unsubscribeOk(c, rid, { count: 2 });
  await assertNoEvent(env, c, rid);
});

for (const [name, params] of [
  ["no params", undefined],
  ["params null", null],
  ["params {}", {}],
  ["count null", { count: null }],
  ["an unknown member", { foo: "bar" }],
] as const) {
  test(`unsubscribe with ${name} counts as 1`, async (t) => {
    const rid = `${env.prefix()}.model`;
    env.service.serveModel(rid, MODEL);
    const c = await connectVersion(env, t);
    await c.result(`subscribe.${rid}`);
    await c.result(`subscribe.${rid}`);
    await unsubscribeOk(c, rid, params);
    await assertEvent(env, c, rid);
    await unsubscribeOk(c, rid, params);
    await assertNoEvent(env, c, rid);
    assertError(await c.request(`unsubscribe.${rid}`, params), Err.noSubscription);
  });
}

describe(
  "unsubscribe with invalid params is system.invalidParams and changes nothing",
  {
    concurrency: true,
  },
  () => {
    const cases: [string, unknown][] = [
      ["params []", []],
      ["params a string", "1"],
      ["params a number", 1],
      ["params true", true],
      ['count "foo"', { count: "foo" }],
      ['count "1"', { count: "1" }],
      ["count true", { count: true }],
      ["count 0", { count: 0 }],
      ["count -1", { count: -1 }],
      ["count 1.5", { count: 1.5 }],
      ["count [1]", { count: [1] }],
      ["count {}", { count: {} }],
    ];
    for (const [name, params] of cases) {
      test(name, async (t) => {
        const rid = `${env.prefix()}.model`;
        env.service.serveModel(rid, MODEL);
        const c = await connectVersion(env, t);
        await c.result(`subscribe.${rid}`);
        assertError(await c.request(`unsubscribe.${rid}`, params), Err.invalidParams);
        await assertEvent(env, c, rid);
        await unsubscribeOk(c, rid);
        assertError(await c.request(`unsubscribe.${rid}`), Err.noSubscription);
      });
    }

    // Written as raw JSON: Go decodes the count into an int, which refuses these literals.
    const rawCases: [string, string][] = [
      ["count 1.0", "1.0"],
      ["count 1e0", "1e0"],
      ["count 2^63 (beyond int64)", "9223372036854775808"],
      ["count 1e400", "1e400"],
    ];
    for (const [name, literal] of rawCases) {
      test(name, async (t) => {
        const rid = `${env.prefix()}.model`;
        env.service.serveModel(rid, MODEL);
        const c = await connectVersion(env, t);
        await c.result(`subscribe.${rid}`);
        const r = await rawRequest(
          c,
          1000,
          `"method":"unsubscribe.${rid}","params":{"count":${literal}}`,
        );
        assert.deepEqual(r, { id: 1000, error: Err.invalidParams });
        await assertEvent(env, c, rid);
      });
    }
  },
);

// ---- a resource response after unsubscribing (TestUnsubscribe_FollowedByResourceResponse) ----

for (const useCount of [true, false]) {
  test(`a call returning a resource unsubscribed ${useCount ? "with count 2" : "twice ({} and no params)"} includes it again`, async (t) => {
    const p = env.prefix();
    const rid = `${p}.model`;
    env.service.serveModel(rid, MODEL);
    const c = await connectVersion(env, t);
    assertResult(await c.request(`subscribe.${rid}`), { models: { [rid]: MODEL } });

    const call = async () => {
      const id = c.sendRequest(`call.${p}.getModel`);
      (await env.service.next(`access.${p}`)).access(true, "*");
      (await env.service.next(`call.${p}.getModel`)).resource(rid);
      return c.response(id);
    };
    assertResult(await call(), { rid });
    if (useCount) {
      await unsubscribeOk(c, rid, { count: 2 });
    } else {
      await unsubscribeOk(c, rid, {});
      await unsubscribeOk(c, rid);
    }
    assertResult(await call(), { rid, models: { [rid]: MODEL } });
    assert.equal(env.service.requests(`access.${rid}`).length, 2);
    assert.equal(env.service.requests(`get.${rid}`).length, 1, "still cached");
  });
}

// ---- release from the cache (an extra gateway with a 100 ms unsubscribe delay) ------------

test("an unsubscribed resource stays cached for the unsubscribe delay", async (t) => {
  const p = env.prefix();
  const fx = serveFixtures(env, p);
  const c = await connectVersion(env, t);
  await c.result(`subscribe.${p}.model.parent`);
  await unsubscribeOk(c, `${p}.model.parent`);
  await sleep(200);
  assertResult(
    await c.request(`subscribe.${p}.model.parent`),
    resourceSet(fx, [`${p}.model.parent`, `${p}.model`]),
  );
  assert.equal(env.service.requests(`get.${p}.model.parent`).length, 1);
  assert.equal(env.service.requests(`get.${p}.model`).length, 1);
});

describe("with a 100 ms unsubscribe delay", () => {
  let gw: ExtraGateway;
  before(async () => {
    gw = await ExtraGateway.onEnv(env, {}, 100);
  });
  after(async () => {
    await gw.stop();
  });

  test("an unsubscribed model and its reference leave the cache", async (t) => {
    const p = env.prefix();
    const fx = serveFixtures(env, p);
    const c = await connectUrl(gw.wsUrl, t);
    await c.result(`subscribe.${p}.model.parent`);
    await unsubscribeOk(c, `${p}.model.parent`);
    await sleep(400);
    assertResult(
      await c.request(`subscribe.${p}.model.parent`),
      resourceSet(fx, [`${p}.model.parent`, `${p}.model`]),
    );
    assert.equal(env.service.requests(`get.${p}.model.parent`).length, 2);
    assert.equal(env.service.requests(`get.${p}.model`).length, 2);
  });

  test("a reference still held by another subscription stays cached", async (t) => {
    const p = env.prefix();
    const fx = serveFixtures(env, p);
    const c = await connectUrl(gw.wsUrl, t);
    await c.result(`subscribe.${p}.model.parent`);
    await c.result(`subscribe.${p}.model.secondparent`);
    await unsubscribeOk(c, `${p}.model.parent`);
    await sleep(400);
    assertResult(
      await c.request(`subscribe.${p}.model.parent`),
      resourceSet(fx, [`${p}.model.parent`]),
    );
    assert.equal(env.service.requests(`get.${p}.model.parent`).length, 2);
    assert.equal(env.service.requests(`get.${p}.model`).length, 1);
  });

  test("an unsubscribed cycle leaves the cache", async (t) => {
    const p = env.prefix();
    serveFixtures(env, p);
    const c = await connectUrl(gw.wsUrl, t);
    await c.result(`subscribe.${p}.m.d`);
    await unsubscribeOk(c, `${p}.m.d`);
    await sleep(400);
    await c.result(`subscribe.${p}.m.d`);
    for (const m of ["m.d", "m.e", "m.f"]) {
      assert.equal(env.service.requests(`get.${p}.${m}`).length, 2, `get.${p}.${m}`);
    }
  });
});
