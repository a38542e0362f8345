// The get request: the same resource sets as subscribe, but no subscription is kept,
// so no later event reaches the client (Resgate's test/02get_test.go, and the get
// half of TestResponseOnPrimitiveModelRetrieval in 01subscribe_test.go).
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
  replyCombos,
  resourceSet,
  runCombo,
  serveFixtures,
} from "../support/request-basics-helpers.js";
import type { ServiceRequest } from "../support/service.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

test("get sends a get request {} and an access request with token null and the cid", async (t) => {
  const rid = `${env.prefix()}.model`;
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`get.${rid}`);
  const access = await env.service.next(`access.${rid}`);
  const get = await env.service.next(`get.${rid}`);
  assert.equal(get.raw, "{}");
  assert.deepEqual(JSON.parse(access.raw), { token: null, cid: access.cid });
  access.access(true);
  get.model(MODEL);
  assertResult(await c.response(id), { models: { [rid]: MODEL } });
  await assertNoEvent(env, c, rid);
});

describe("get: access and get reply combinations", { concurrency: true }, () => {
  const n = replyCombos("x").length;
  for (let i = 0; i < n; i++) {
    for (const getFirst of [true, false]) {
      const probe = replyCombos("x")[i];
      const name = `#${i + 1} ${probe?.name ?? ""} (${getFirst ? "get" : "access"} reply first)`;
      test(name, async (t) => {
        const rid = `${env.prefix()}.resource`;
        const combo = replyCombos(rid)[i];
        assert.ok(combo);
        const c = await connectVersion(env, t);
        await runCombo(env, c, { ...combo, method: "get", rid, getFirst });
        await assertNoEvent(env, c, rid, 50);
      });
    }
  }
});

/** [name, rid suffix requested, rid suffixes in the resource set] */
const sets: [string, string, string[]][] = (["model", "collection"] as const).flatMap(
  (kind): [string, string, string[]][] => {
    const s = kind === "model" ? "m" : "c";
    return [
      [kind, kind, [kind]],
      [`${kind} with a reference`, `${kind}.parent`, [`${kind}.parent`, kind]],
      [
        `${kind} with references two levels deep`,
        `${kind}.grandparent`,
        [`${kind}.grandparent`, `${kind}.parent`, kind],
      ],
      [
        `${kind} with a failing reference`,
        `${kind}.brokenchild`,
        [`${kind}.brokenchild`, "err.notFound"],
      ],
      [`${kind} with a soft reference`, `${kind}.soft`, [`${kind}.soft`]],
      [
        `${kind} referencing a ${kind} with a soft reference`,
        `${kind}.soft.parent`,
        [`${kind}.soft.parent`, `${kind}.soft`],
      ],
      [`${kind} with data values`, `${kind}.data`, [`${kind}.data`]],
      [
        `${kind} referencing a ${kind} with data values`,
        `${kind}.data.parent`,
        [`${kind}.data.parent`, `${kind}.data`],
      ],
      [`${kind} referencing itself`, `${s}.a`, [`${s}.a`]],
      [`${kind} cycle b -> c -> b`, `${s}.b`, [`${s}.b`, `${s}.c`]],
      [`${kind} cycles d/e/f`, `${s}.d`, [`${s}.d`, `${s}.e`, `${s}.f`]],
      [`${kind} g entering d/e/f`, `${s}.g`, [`${s}.g`, `${s}.d`, `${s}.e`, `${s}.f`]],
    ];
  },
);

describe("get: resource sets, and no events afterwards", { concurrency: true }, () => {
  for (const [name, suffix, members] of sets) {
    for (const version of ["1.999.999", "1.2.0"]) {
      test(`${name} (client v${version})`, async (t) => {
        const p = env.prefix();
        const fx = serveFixtures(env, p);
        const c = await connectVersion(env, t, version);
        const rids = members.map((m) => `${p}.${m}`);
        const expected = resourceSet(fx, rids, version === "1.2.0");
        assertResult(await c.request(`get.${p}.${suffix}`), expected);
        for (const rid of rids) await assertNoEvent(env, c, rid, 30);
        await c.noEvent(100);
        // Nothing was kept: a second get sends every resource again.
        assertResult(await c.request(`get.${p}.${suffix}`), expected);
        assert.equal(env.service.requests(`access.${p}.${suffix}`).length, 2);
        assertError(await c.request(`unsubscribe.${p}.${suffix}`), Err.noSubscription);
      });
    }
  }
});

test("two gets of resources sharing a reference each include the reference", async (t) => {
  const p = env.prefix();
  const fx = serveFixtures(env, p);
  const c = await connectVersion(env, t);
  assertResult(
    await c.request(`get.${p}.model.parent`),
    resourceSet(fx, [`${p}.model.parent`, `${p}.model`]),
  );
  assertResult(
    await c.request(`get.${p}.model.secondparent`),
    resourceSet(fx, [`${p}.model.secondparent`, `${p}.model`]),
  );
});

test("get of a subscribed resource gives {} and changes nothing", async (t) => {
  const p = env.prefix();
  const fx = serveFixtures(env, p);
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  assertResult(await c.request(`subscribe.${rid}`), resourceSet(fx, [rid]));
  assertResult(await c.request(`get.${rid}`), {});
  assert.equal(env.service.requests(`access.${rid}`).length, 1, "access is kept");
  await assertEvent(env, c, rid);
  await c.noEvent(100);
  const u = c.sendRequest(`unsubscribe.${rid}`);
  assert.deepEqual(await c.response(u), { id: u });
  assertError(await c.request(`unsubscribe.${rid}`), Err.noSubscription);
});

test("get of a resource sent as a reference gives {} after an access request", async (t) => {
  const p = env.prefix();
  const fx = serveFixtures(env, p);
  const c = await connectVersion(env, t);
  assertResult(
    await c.request(`subscribe.${p}.model.parent`),
    resourceSet(fx, [`${p}.model.parent`, `${p}.model`]),
  );
  assertResult(await c.request(`get.${p}.model`), {});
  assert.equal(env.service.requests(`access.${p}.model`).length, 1);
  assertError(await c.request(`unsubscribe.${p}.model`), Err.noSubscription);
  await assertEvent(env, c, `${p}.model`);
});

test("get of a resource whose reference is subscribed leaves the reference out", async (t) => {
  const p = env.prefix();
  const fx = serveFixtures(env, p);
  const c = await connectVersion(env, t);
  assertResult(await c.request(`subscribe.${p}.model`), resourceSet(fx, [`${p}.model`]));
  assertResult(await c.request(`get.${p}.model.parent`), resourceSet(fx, [`${p}.model.parent`]));
  await assertNoEvent(env, c, `${p}.model.parent`);
  await assertEvent(env, c, `${p}.model`);
});

test("a get holds nothing: a later subscribe of its reference gets the full resource", async (t) => {
  const p = env.prefix();
  const fx = serveFixtures(env, p);
  const c = await connectVersion(env, t);
  assertResult(
    await c.request(`get.${p}.model.parent`),
    resourceSet(fx, [`${p}.model.parent`, `${p}.model`]),
  );
  assertResult(await c.request(`subscribe.${p}.model`), resourceSet(fx, [`${p}.model`]));
  // Cached by the gateway: the subscribe needed an access request, not a get request.
  assert.equal(env.service.requests(`get.${p}.model`).length, 1);
  await assertEvent(env, c, `${p}.model`);
  await assertNoEvent(env, c, `${p}.model.parent`);
});

test("a subscribe and a get of a loading resource: the subscribe gets it, the get {}", async (t) => {
  const rid = `${env.prefix()}.model`;
  const c = await connectVersion(env, t);
  const sid = c.sendRequest(`subscribe.${rid}`);
  const access = await env.service.next(`access.${rid}`);
  const get = await env.service.next(`get.${rid}`);
  const gid = c.sendRequest(`get.${rid}`);
  await env.service.noRequest(`access.${rid}`, 50);
  access.access(true);
  get.model(MODEL);
  assertResult(await c.response(sid), { models: { [rid]: MODEL } });
  assertResult(await c.response(gid), {});
  await assertEvent(env, c, rid);
  await c.noEvent(100);
});

test("get with {cid}: the cid is used towards services, the rid as sent towards the client", async (t) => {
  const p = env.prefix();
  const seen: ServiceRequest[] = [];
  env.service.handle(`access.${p}.*.model`, (r) => {
    seen.push(r);
    r.access(true);
  });
  env.service.handle(`get.${p}.*.model`, (r) => {
    seen.push(r);
    r.model(MODEL);
  });
  const c = await connectVersion(env, t);
  const rid = `${p}.{cid}.model`;
  assertResult(await c.request(`get.${rid}`), { models: { [rid]: MODEL } });
  const access = seen.find((r) => r.subject.startsWith("access."));
  assert.ok(access);
  const cid = access.cid;
  assert.deepEqual(seen.map((r) => r.subject).sort(), [
    `access.${p}.${cid}.model`,
    `get.${p}.${cid}.model`,
  ]);
  await assertNoEvent(env, c, `${p}.${cid}.model`);
});

test("get of a rid too long for a NATS subject gives system.subjectTooLong", async (t) => {
  const c = await connectVersion(env, t);
  assertError(await c.request(`get.${env.prefix()}.${"a".repeat(10000)}`), Err.subjectTooLong);
});

test("get with no service listening fails with system.notFound at once", async (t) => {
  const gw = await ExtraGateway.alone();
  t.after(() => gw.stop());
  const c = await connectUrl(gw.wsUrl, t);
  const start = Date.now();
  assertError(await c.request(`get.${env.prefix()}.model`), Err.notFound);
  assert.ok(Date.now() - start < 600, `took ${Date.now() - start} ms`);
});

test("two clients getting a loading resource share its get request", async (t) => {
  const rid = `${env.prefix()}.model`;
  const c1 = await connectVersion(env, t);
  const c2 = await connectVersion(env, t);
  const id1 = c1.sendRequest(`get.${rid}`);
  (await env.service.next(`access.${rid}`)).access(true);
  const get = await env.service.next(`get.${rid}`);
  const id2 = c2.sendRequest(`get.${rid}`);
  (await env.service.next(`access.${rid}`)).access(true);
  await env.service.noRequest(`get.${rid}`, 100);
  get.model(MODEL);
  assertResult(await c1.response(id1), { models: { [rid]: MODEL } });
  assertResult(await c2.response(id2), { models: { [rid]: MODEL } });
});
