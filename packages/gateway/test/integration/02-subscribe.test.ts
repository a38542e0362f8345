// The subscribe request: the access and get requests it sends, resource sets with
// references followed to any depth (cycles included), soft references and data
// values, error precedence between access and get replies, shared get requests, the
// {cid} placeholder and the limits (Resgate's test/01subscribe_test.go, 50bug_test.go).
import assert from "node:assert/strict";
import { after, before, describe, test, type TestContext } from "node:test";
import { connect as natsConnect } from "@nats-io/transport-node";
import { TestEnv } from "../support/env.js";
import {
  Err,
  ExtraGateway,
  LATEST,
  MODEL,
  assertError,
  assertEvent,
  assertNoEvent,
  assertResult,
  connectUrl,
  connectVersion,
  fixtures,
  replyCombos,
  resourceSet,
  respondFixture,
  runCombo,
  serveFixtures,
  sleep,
  waitUntil,
  within,
} from "../support/request-basics-helpers.js";
import type { ServiceRequest } from "../support/service.js";
import type { TestClient } from "../support/ws-client.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

test("subscribe sends a get request {} and an access request with token null and the cid", async (t) => {
  const p = env.prefix();
  const rid = `${p}.model`;
  const c = await connectVersion(env, t);
  const id = c.sendRequest(`subscribe.${rid}`);
  const get = await env.service.next(`get.${rid}`);
  const access = await env.service.next(`access.${rid}`);
  assert.equal(get.raw, "{}");
  assert.equal(typeof access.data["cid"], "string");
  assert.notEqual(access.cid, "");
  assert.deepEqual(JSON.parse(access.raw), { token: null, cid: access.cid });
  assert.equal(access.raw, `{"token":null,"cid":${JSON.stringify(access.cid)}}`);
  access.access(true);
  get.model(MODEL);
  assertResult(await c.response(id), { models: { [rid]: MODEL } });
});

test("every connection has its own cid; one connection uses the same cid for every request", async (t) => {
  const p = env.prefix();
  env.service.serveModel(`${p}.a`, { a: 1 });
  env.service.serveModel(`${p}.b`, { b: 1 });
  const c1 = await connectVersion(env, t);
  const c2 = await connectVersion(env, t);
  await c1.result(`subscribe.${p}.a`);
  await c1.result(`subscribe.${p}.b`);
  await c2.result(`subscribe.${p}.a`);
  const [a1, a2] = env.service.requests(`access.${p}.a`);
  const [b1] = env.service.requests(`access.${p}.b`);
  assert.ok(a1 && a2 && b1);
  assert.equal(a1.cid, b1.cid);
  assert.notEqual(a1.cid, a2.cid);
});

describe("subscribe: access and get reply combinations", { concurrency: true }, () => {
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
        await runCombo(env, c, { ...combo, method: "subscribe", rid, getFirst });
      });
    }
  }
});

// ---- resource sets: Resgate's sequenceSets (test/resources.go) ---------------------

type Step =
  | ["subscribe" | "access" | "accessDenied" | "get" | "errorResponse", string]
  | ["response", string, string[]]
  | ["event" | "noevent" | "nosubscription", string];

const both = (kind: "model" | "collection", short: "m" | "c"): [string, Step[]][] => [
  [
    `${kind}`,
    [
      ["subscribe", kind],
      ["access", kind],
      ["get", kind],
      ["response", kind, [kind]],
      ["event", kind],
    ],
  ],
  [
    `${kind} with a reference`,
    [
      ["subscribe", `${kind}.parent`],
      ["access", `${kind}.parent`],
      ["get", `${kind}.parent`],
      ["get", kind],
      ["response", `${kind}.parent`, [`${kind}.parent`, kind]],
      ["event", `${kind}.parent`],
      ["event", kind],
    ],
  ],
  [
    `${kind} with references two levels deep`,
    [
      ["subscribe", `${kind}.grandparent`],
      ["access", `${kind}.grandparent`],
      ["get", `${kind}.grandparent`],
      ["get", `${kind}.parent`],
      ["get", kind],
      ["response", `${kind}.grandparent`, [`${kind}.grandparent`, `${kind}.parent`, kind]],
      ["event", `${kind}.grandparent`],
      ["event", `${kind}.parent`],
      ["event", kind],
    ],
  ],
  [
    `two ${kind}s referencing the same ${kind}: the second response leaves it out`,
    [
      ["subscribe", `${kind}.parent`],
      ["access", `${kind}.parent`],
      ["get", `${kind}.parent`],
      ["get", kind],
      ["response", `${kind}.parent`, [`${kind}.parent`, kind]],
      ["subscribe", `${kind}.secondparent`],
      ["access", `${kind}.secondparent`],
      ["get", `${kind}.secondparent`],
      ["response", `${kind}.secondparent`, [`${kind}.secondparent`]],
    ],
  ],
  [
    `${kind} with a failing reference: the error goes into "errors"`,
    [
      ["subscribe", `${kind}.brokenchild`],
      ["access", `${kind}.brokenchild`],
      ["get", `${kind}.brokenchild`],
      ["get", "err.notFound"],
      ["response", `${kind}.brokenchild`, [`${kind}.brokenchild`, "err.notFound"]],
      ["event", `${kind}.brokenchild`],
      ["noevent", "err.notFound"],
    ],
  ],
  [
    `${kind} with a soft reference: not followed, passed as is`,
    [
      ["subscribe", `${kind}.soft`],
      ["access", `${kind}.soft`],
      ["get", `${kind}.soft`],
      ["response", `${kind}.soft`, [`${kind}.soft`]],
      ["event", `${kind}.soft`],
      ["nosubscription", kind],
    ],
  ],
  [
    `${kind} with a reference marked soft:false to a ${kind} with a soft reference`,
    [
      ["subscribe", `${kind}.soft.parent`],
      ["access", `${kind}.soft.parent`],
      ["get", `${kind}.soft.parent`],
      ["get", `${kind}.soft`],
      ["response", `${kind}.soft.parent`, [`${kind}.soft.parent`, `${kind}.soft`]],
      ["event", `${kind}.soft.parent`],
      ["event", `${kind}.soft`],
      ["nosubscription", kind],
    ],
  ],
  [
    `${kind} with data values: objects and arrays as is, {"data":12} as 12`,
    [
      ["subscribe", `${kind}.data`],
      ["access", `${kind}.data`],
      ["get", `${kind}.data`],
      ["response", `${kind}.data`, [`${kind}.data`]],
      ["event", `${kind}.data`],
    ],
  ],
  [
    `${kind} referencing a ${kind} with data values`,
    [
      ["subscribe", `${kind}.data.parent`],
      ["access", `${kind}.data.parent`],
      ["get", `${kind}.data.parent`],
      ["get", `${kind}.data`],
      ["response", `${kind}.data.parent`, [`${kind}.data.parent`, `${kind}.data`]],
      ["event", `${kind}.data.parent`],
      ["event", `${kind}.data`],
    ],
  ],
  [
    `${kind} referencing itself (a -> a)`,
    [
      ["subscribe", `${short}.a`],
      ["access", `${short}.a`],
      ["get", `${short}.a`],
      ["response", `${short}.a`, [`${short}.a`]],
      ["event", `${short}.a`],
    ],
  ],
  [
    `${kind} cycle b -> c -> b`,
    [
      ["subscribe", `${short}.b`],
      ["access", `${short}.b`],
      ["get", `${short}.b`],
      ["get", `${short}.c`],
      ["response", `${short}.b`, [`${short}.b`, `${short}.c`]],
      ["event", `${short}.b`],
      ["event", `${short}.c`],
    ],
  ],
  [
    `${kind} cycles d -> e -> d and d -> f -> d`,
    [
      ["subscribe", `${short}.d`],
      ["access", `${short}.d`],
      ["get", `${short}.d`],
      ["get", `${short}.e`],
      ["get", `${short}.f`],
      ["response", `${short}.d`, [`${short}.d`, `${short}.e`, `${short}.f`]],
    ],
  ],
  [
    `${kind} g entering the cycles d/e/f from outside`,
    [
      ["subscribe", `${short}.g`],
      ["access", `${short}.g`],
      ["get", `${short}.g`],
      ["get", `${short}.e`],
      ["get", `${short}.f`],
      ["get", `${short}.d`],
      ["response", `${short}.g`, [`${short}.d`, `${short}.e`, `${short}.f`, `${short}.g`]],
      ["event", `${short}.g`],
      ["event", `${short}.d`],
    ],
  ],
  [
    `${kind} h subscribed while the cycle d/e/f it enters is loading`,
    [
      ["subscribe", `${short}.d`],
      ["access", `${short}.d`],
      ["get", `${short}.d`],
      ["subscribe", `${short}.h`],
      ["access", `${short}.h`],
      ["get", `${short}.e`],
      ["get", `${short}.h`],
      ["get", `${short}.f`],
      ["response", `${short}.d`, [`${short}.d`, `${short}.e`, `${short}.f`]],
      ["response", `${short}.h`, [`${short}.h`]],
    ],
  ],
];

const latestSequences: [string, Step[]][] = [
  ...both("model", "m"),
  ...both("collection", "c"),
  [
    "subscribing a resource already sent as a reference: access only, result {}",
    [
      ["subscribe", "model.parent"],
      ["access", "model.parent"],
      ["get", "model.parent"],
      ["get", "model"],
      ["response", "model.parent", ["model.parent", "model"]],
      ["subscribe", "model"],
      ["access", "model"],
      ["response", "model", []],
      ["event", "model.parent"],
      ["event", "model"],
    ],
  ],
  [
    "subscribing a referenced resource without access: error, the reference stays",
    [
      ["subscribe", "model.parent"],
      ["access", "model.parent"],
      ["get", "model.parent"],
      ["get", "model"],
      ["response", "model.parent", ["model.parent", "model"]],
      ["subscribe", "model"],
      ["accessDenied", "model"],
      ["errorResponse", "model"],
      ["event", "model.parent"],
      ["event", "model"],
    ],
  ],
];

const legacySequences: [string, Step[]][] = (["model", "collection"] as const).flatMap(
  (kind): [string, Step[]][] => [
    [
      `${kind} with a soft reference: the rid as a string`,
      [
        ["subscribe", `${kind}.soft`],
        ["access", `${kind}.soft`],
        ["get", `${kind}.soft`],
        ["response", `${kind}.soft`, [`${kind}.soft`]],
        ["event", `${kind}.soft`],
        ["nosubscription", kind],
      ],
    ],
    [
      `${kind} referencing a ${kind} with a soft reference`,
      [
        ["subscribe", `${kind}.soft.parent`],
        ["access", `${kind}.soft.parent`],
        ["get", `${kind}.soft.parent`],
        ["get", `${kind}.soft`],
        ["response", `${kind}.soft.parent`, [`${kind}.soft.parent`, `${kind}.soft`]],
        ["event", `${kind}.soft.parent`],
        ["event", `${kind}.soft`],
      ],
    ],
    [
      `${kind} with data values: "[Data]" placeholders`,
      [
        ["subscribe", `${kind}.data`],
        ["access", `${kind}.data`],
        ["get", `${kind}.data`],
        ["response", `${kind}.data`, [`${kind}.data`]],
        ["event", `${kind}.data`],
        ["nosubscription", kind],
      ],
    ],
    [
      `${kind} referencing a ${kind} with data values`,
      [
        ["subscribe", `${kind}.data.parent`],
        ["access", `${kind}.data.parent`],
        ["get", `${kind}.data.parent`],
        ["get", `${kind}.data`],
        ["response", `${kind}.data.parent`, [`${kind}.data.parent`, `${kind}.data`]],
        ["event", `${kind}.data.parent`],
        ["event", `${kind}.data`],
      ],
    ],
  ],
);

/** Plays a sequence like Resgate's TestSubscribe: the service answers in the given order. */
async function runSequence(t: TestContext, steps: Step[], version: string): Promise<void> {
  const p = env.prefix();
  const fx = fixtures(p);
  const legacy = version === "1.2.0" || version === "";
  const c = await connectVersion(env, t, version);
  const ids = new Map<string, number>();
  const r = (s: string) => `${p}.${s}`;
  for (const step of steps) {
    const rid = r(step[1]);
    switch (step[0]) {
      case "subscribe":
        ids.set(rid, c.sendRequest(`subscribe.${rid}`));
        break;
      case "access":
        (await env.service.next(`access.${rid}`)).access(true);
        break;
      case "accessDenied":
        (await env.service.next(`access.${rid}`)).access(false);
        break;
      case "get":
        respondFixture(await env.service.next(`get.${rid}`), fx.get(rid));
        break;
      case "response": {
        const resp = await c.response(ids.get(rid) ?? -1);
        assertResult(resp, resourceSet(fx, step[2].map(r), legacy));
        break;
      }
      case "errorResponse":
        assertError(await c.response(ids.get(rid) ?? -1), Err.accessDenied);
        break;
      case "event":
        await assertEvent(env, c, rid);
        break;
      case "noevent":
        await assertNoEvent(env, c, rid);
        break;
      case "nosubscription":
        assert.equal(env.service.requests(`get.${rid}`).length, 0, `no get request for ${rid}`);
        await assertNoEvent(env, c, rid);
        break;
    }
  }
  await c.noEvent(0);
}

describe("subscribe: resource sets (latest protocol)", { concurrency: true }, () => {
  for (const [name, steps] of latestSequences) {
    test(name, (t) => runSequence(t, steps, LATEST));
  }
});

describe("subscribe: resource sets for a v1.2.0 client", { concurrency: true }, () => {
  for (const [name, steps] of legacySequences) {
    test(name, (t) => runSequence(t, steps, "1.2.0"));
  }
});

test("a client that sent no version request gets legacy soft references and data values", async (t) => {
  const p = env.prefix();
  const fx = serveFixtures(env, p);
  const c = await connectVersion(env, t, "");
  assertResult(
    await c.request(`subscribe.${p}.model.soft`),
    resourceSet(fx, [`${p}.model.soft`], true),
  );
  assertResult(
    await c.request(`subscribe.${p}.collection.data`),
    resourceSet(fx, [`${p}.collection.data`], true),
  );
});

test("a v1.2.1 client gets soft references and data values as they are", async (t) => {
  const p = env.prefix();
  const fx = serveFixtures(env, p);
  const c = await connectVersion(env, t, "1.2.1");
  assertResult(await c.request(`subscribe.${p}.model.soft`), {
    models: { [`${p}.model.soft`]: { name: "soft", child: { rid: `${p}.model`, soft: true } } },
  });
  assertResult(await c.request(`subscribe.${p}.model.data`), resourceSet(fx, [`${p}.model.data`]));
});

test("a data value wrapping a primitive is the primitive; wrapping null is null", async (t) => {
  const rid = `${env.prefix()}.model`;
  env.service.handle(`access.${rid}`, (r) => r.access(true));
  env.service.handle(`get.${rid}`, (r) =>
    r.model({ n: { data: 42 }, s: { data: "x" }, b: { data: false }, z: { data: null } }),
  );
  const c = await connectVersion(env, t);
  assertResult(await c.request(`subscribe.${rid}`), {
    models: { [rid]: { n: 42, s: "x", b: false, z: null } },
  });
});

test("deep reference chains are followed to the end", async (t) => {
  const p = env.prefix();
  const depth = 40;
  env.service.handle(`access.${p}.>`, (r) => r.access(true));
  env.service.handle(`get.${p}.>`, (r) => {
    const i = Number(r.subject.slice(`get.${p}.n`.length));
    if (i < depth) r.model({ i, next: { rid: `${p}.n${i + 1}` } });
    else r.model({ i });
  });
  const c = await connectVersion(env, t);
  const models: Record<string, unknown> = {};
  for (let i = 0; i <= depth; i++) {
    models[`${p}.n${i}`] = i < depth ? { i, next: { rid: `${p}.n${i + 1}` } } : { i };
  }
  assertResult(await c.request(`subscribe.${p}.n0`), { models });
  await assertEvent(env, c, `${p}.n${depth}`);
});

test("a subscribed resource gets each event once, however it is held", async (t) => {
  const p = env.prefix();
  serveFixtures(env, p);
  const c = await connectVersion(env, t);
  await c.result(`subscribe.${p}.model.parent`);
  await c.result(`subscribe.${p}.model.secondparent`);
  await c.result(`subscribe.${p}.model`);
  await c.result(`subscribe.${p}.model`);
  await assertEvent(env, c, `${p}.model`);
  await c.noEvent(150);
});

// ---- repeated and shared subscriptions ------------------------------------------------

test("a second subscribe of the same rid returns {} and sends no request", async (t) => {
  const rid = `${env.prefix()}.model`;
  env.service.serveModel(rid, MODEL);
  const c = await connectVersion(env, t);
  assertResult(await c.request(`subscribe.${rid}`), { models: { [rid]: MODEL } });
  assertResult(await c.request(`subscribe.${rid}`), {});
  await sleep(50);
  assert.equal(env.service.requests(`access.${rid}`).length, 1);
  assert.equal(env.service.requests(`get.${rid}`).length, 1);
  await assertEvent(env, c, rid);
  await c.noEvent(100);
});

test("two subscribes of one client while the resource loads share one access and one get request", async (t) => {
  const rid = `${env.prefix()}.model`;
  const c = await connectVersion(env, t);
  const id1 = c.sendRequest(`subscribe.${rid}`);
  const access = await env.service.next(`access.${rid}`);
  const get = await env.service.next(`get.${rid}`);
  const id2 = c.sendRequest(`subscribe.${rid}`);
  await env.service.noRequest(`access.${rid}`, 100);
  await env.service.noRequest(`get.${rid}`, 0);
  access.access(true);
  get.model(MODEL);
  assertResult(await c.response(id1), { models: { [rid]: MODEL } });
  assertResult(await c.response(id2), {});
  assert.equal(env.service.requests(`access.${rid}`).length, 1);
  assert.equal(env.service.requests(`get.${rid}`).length, 1);
});

test("two clients subscribing a resource being loaded share its get request", async (t) => {
  const rid = `${env.prefix()}.model`;
  const c1 = await connectVersion(env, t);
  const c2 = await connectVersion(env, t);
  const id1 = c1.sendRequest(`subscribe.${rid}`);
  (await env.service.next(`access.${rid}`)).access(true);
  const get = await env.service.next(`get.${rid}`);
  const id2 = c2.sendRequest(`subscribe.${rid}`);
  const access2 = await env.service.next(`access.${rid}`);
  assert.notEqual(access2.cid, env.service.requests(`access.${rid}`)[0]?.cid);
  access2.access(true);
  await env.service.noRequest(`get.${rid}`, 100);
  get.model(MODEL);
  assertResult(await c1.response(id1), { models: { [rid]: MODEL } });
  assertResult(await c2.response(id2), { models: { [rid]: MODEL } });
  assert.equal(env.service.requests(`get.${rid}`).length, 1);
});

test("two clients waiting on the same get request both get its error", async (t) => {
  const rid = `${env.prefix()}.model`;
  const c1 = await connectVersion(env, t);
  const c2 = await connectVersion(env, t);
  const id1 = c1.sendRequest(`subscribe.${rid}`);
  (await env.service.next(`access.${rid}`)).access(true);
  const get = await env.service.next(`get.${rid}`);
  const id2 = c2.sendRequest(`subscribe.${rid}`);
  (await env.service.next(`access.${rid}`)).access(true);
  await env.service.noRequest(`get.${rid}`, 100);
  get.error(Err.notFound.code, Err.notFound.message);
  assertError(await c1.response(id1), Err.notFound);
  assertError(await c2.response(id2), Err.notFound);
});

for (const kind of ["model", "collection"] as const) {
  test(`a cached ${kind} is sent to a second client after an access request only`, async (t) => {
    const p = env.prefix();
    const fx = serveFixtures(env, p);
    const rid = `${p}.${kind}`;
    const c1 = await connectVersion(env, t);
    assertResult(await c1.request(`subscribe.${rid}`), resourceSet(fx, [rid]));
    const c2 = await connectVersion(env, t);
    assertResult(await c2.request(`subscribe.${rid}`), resourceSet(fx, [rid]));
    assert.equal(env.service.requests(`access.${rid}`).length, 2);
    assert.equal(env.service.requests(`get.${rid}`).length, 1);
  });
}

test("references are followed when the get replies arrive before the access reply (GH-84)", async (t) => {
  for (let i = 0; i < 10; i++) {
    const p = env.prefix();
    const fx = fixtures(p);
    const c = await connectVersion(env, t);
    const id = c.sendRequest(`subscribe.${p}.model.parent`);
    const access = await env.service.next(`access.${p}.model.parent`);
    respondFixture(await env.service.next(`get.${p}.model.parent`), fx.get(`${p}.model.parent`));
    respondFixture(await env.service.next(`get.${p}.model`), fx.get(`${p}.model`));
    await sleep(5);
    access.access(true);
    assertResult(await c.response(id), resourceSet(fx, [`${p}.model.parent`, `${p}.model`]));
  }
});

// ---- {cid}, subjects and service availability ------------------------------------------

test("{cid} in a rid is replaced by the connection ID towards services, not towards the client", async (t) => {
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
  assertResult(await c.request(`subscribe.${rid}`), { models: { [rid]: MODEL } });
  const access = seen.find((r) => r.subject.startsWith("access."));
  const get = seen.find((r) => r.subject.startsWith("get."));
  assert.ok(access && get);
  const cid = access.cid;
  assert.equal(access.subject, `access.${p}.${cid}.model`);
  assert.equal(get.subject, `get.${p}.${cid}.model`);
  env.service.event(`${p}.${cid}.model`, "custom", { foo: "bar" });
  assert.deepEqual(await c.nextEvent(), { event: `${rid}.custom`, data: { foo: "bar" } });
  assert.ok(!c.frames.some((f) => f.includes(cid)), "the cid is never sent to the client");
});

test("a rid too long for a NATS subject gives system.subjectTooLong", async (t) => {
  const c = await connectVersion(env, t);
  const rid = `${env.prefix()}.${"a".repeat(10000)}`;
  assertError(await c.request(`subscribe.${rid}`), Err.subjectTooLong);
  await assertStillUsable(c);
});

test("a reference with a rid too long for a NATS subject goes into errors", async (t) => {
  const p = env.prefix();
  const long = `${p}.${"b".repeat(10000)}`;
  const rid = `${p}.parent`;
  env.service.handle(`access.${rid}`, (r) => r.access(true));
  env.service.handle(`get.${rid}`, (r) => r.model({ child: { rid: long } }));
  const c = await connectVersion(env, t);
  assertResult(await c.request(`subscribe.${rid}`), {
    models: { [rid]: { child: { rid: long } } },
    errors: { [long]: Err.subjectTooLong },
  });
});

async function assertStillUsable(c: TestClient): Promise<void> {
  assertResult(await c.request("version", { protocol: LATEST }), { protocol: "1.2.3" });
}

test("with no service listening, subscribe fails with system.notFound at once", async (t) => {
  const gw = await ExtraGateway.alone();
  t.after(() => gw.stop());
  const c = await connectUrl(gw.wsUrl, t);
  const start = Date.now();
  const r = await c.request(`subscribe.${env.prefix()}.model`);
  assertError(r, Err.notFound);
  assert.ok(Date.now() - start < 600, `took ${Date.now() - start} ms (request timeout is 1000)`);
});

test("with only access answered and no get responder, subscribe fails with system.notFound", async (t) => {
  const gw = await ExtraGateway.alone();
  t.after(() => gw.stop());
  const nc = await natsConnect({ servers: gw.natsUrl });
  t.after(() => nc.close());
  nc.subscribe("access.>", {
    callback: (_e, m) => {
      m.respond('{"result":{"get":true}}');
    },
  });
  await nc.flush();
  const c = await connectUrl(gw.wsUrl, t);
  const start = Date.now();
  assertError(await c.request(`subscribe.${env.prefix()}.model`), Err.notFound);
  assert.ok(Date.now() - start < 600, `took ${Date.now() - start} ms`);
});

// ---- limits ------------------------------------------------------------------------------

test("a connection may subscribe one rid directly 256 times; the 257th is system.subscriptionLimitExceeded", async (t) => {
  const rid = `${env.prefix()}.model`;
  env.service.serveModel(rid, MODEL);
  const c = await connectVersion(env, t);
  assertResult(await c.request(`subscribe.${rid}`), { models: { [rid]: MODEL } });
  const ids: number[] = [];
  for (let i = 1; i < 256; i++) ids.push(c.sendRequest(`subscribe.${rid}`));
  for (const id of ids) assertResult(await c.response(id), {});
  assertError(await c.request(`subscribe.${rid}`), Err.subscriptionLimitExceeded);
  // A get takes a direct subscription for its duration, so it is refused too.
  assertError(await c.request(`get.${rid}`), Err.subscriptionLimitExceeded);
  const u1 = c.sendRequest(`unsubscribe.${rid}`);
  assert.deepEqual(await c.response(u1), { id: u1 });
  assertResult(await c.request(`subscribe.${rid}`), {});
  const u2 = c.sendRequest(`unsubscribe.${rid}`, { count: 256 });
  assert.deepEqual(await c.response(u2), { id: u2 });
  assertError(await c.request(`unsubscribe.${rid}`), Err.noSubscription);
  await c.noEvent(0);
});

test("indirect references are not limited: 300 resources referencing one rid", async (t) => {
  const p = env.prefix();
  const list = Array.from({ length: 300 }, (_, i) => ({ rid: `${p}.m${i}` }));
  env.service.handle(`access.${p}.>`, (r) => r.access(true));
  env.service.handle(`get.${p}.>`, (r) => {
    if (r.subject === `get.${p}.list`) r.collection(list);
    else if (r.subject === `get.${p}.model`) r.model(MODEL);
    else r.model({ child: { rid: `${p}.model` } });
  });
  const c = await connectVersion(env, t);
  const models: Record<string, unknown> = { [`${p}.model`]: MODEL };
  for (let i = 0; i < 300; i++) models[`${p}.m${i}`] = { child: { rid: `${p}.model` } };
  assertResult(await c.request(`subscribe.${p}.list`), {
    collections: { [`${p}.list`]: list },
    models,
  });
  await assertEvent(env, c, `${p}.model`);
});

test("with referenceThrottle 3, at most 3 reference get requests are in flight", async (t) => {
  const gw = await ExtraGateway.onEnv(env, { referenceThrottle: 3 });
  t.after(() => gw.stop());
  const p = env.prefix();
  const count = 10;
  const refs = Array.from({ length: count }, (_, i) => ({ rid: `${p}.model.${i + 1}` }));
  const c = await connectUrl(gw.wsUrl, t);
  const id = c.sendRequest(`subscribe.${p}.collection`);
  (await env.service.next(`access.${p}.collection`)).access(true);
  (await env.service.next(`get.${p}.collection`)).collection(refs);
  const refGets = () => env.service.log.filter((r) => r.subject.startsWith(`get.${p}.model.`));
  let answered = 0;
  while (answered < count) {
    const expected = Math.min(answered + 3, count);
    await waitUntil(() => refGets().length >= expected, `${expected} reference get requests`);
    await sleep(30);
    assert.equal(refGets().length, expected, "no more than 3 in flight");
    const next = refGets().find((r) => !r.answered);
    assert.ok(next);
    next.model({ id: Number(next.subject.slice(`get.${p}.model.`.length)) });
    answered++;
  }
  const models: Record<string, unknown> = {};
  for (let i = 1; i <= count; i++) models[`${p}.model.${i}`] = { id: i };
  assertResult(await c.response(id), { collections: { [`${p}.collection`]: refs }, models });
});

// ---- Resgate's bug regressions (test/50bug_test.go) --------------------------------------

describe("a reset and a change referencing the reset collection keep clients consistent (resgate#194)", () => {
  for (let attempt = 1; attempt <= 5; attempt++) {
    test(`attempt ${attempt}`, async (t) => {
      const p = env.prefix();
      const coll = `${p}.collection`;
      const model = `${p}.model`;
      env.service.handle(`access.${p}.>`, (r) => r.access(true));
      const c1 = await connectVersion(env, t);
      const id1 = c1.sendRequest(`subscribe.${coll}`);
      (await env.service.next(`get.${coll}`)).collection([1, 2, 3]);
      assertResult(await c1.response(id1), { collections: { [coll]: [1, 2, 3] } });
      const c2 = await connectVersion(env, t);
      const id2 = c2.sendRequest(`subscribe.${model}`);
      (await env.service.next(`get.${model}`)).model(MODEL);
      assertResult(await c2.response(id2), { models: { [model]: MODEL } });

      env.service.publish("system.reset", { resources: [coll] });
      env.service.event(model, "change", { values: { ref: { rid: coll } } });
      (await env.service.next(`get.${coll}`)).collection([1, 2, 3, 4]);

      const ev = await c2.nextEvent();
      assert.equal(ev.event, `${model}.change`);
      const old = { values: { ref: { rid: coll } }, collections: { [coll]: [1, 2, 3] } };
      const fresh = { values: { ref: { rid: coll } }, collections: { [coll]: [1, 2, 3, 4] } };
      if (JSON.stringify(ev.data) === JSON.stringify(old)) {
        await c2.event(`${coll}.add`, { value: 4, idx: 3 });
      } else {
        assert.deepEqual(ev.data, fresh);
      }
      await c2.noEvent(100);
      await c1.event(`${coll}.add`, { value: 4, idx: 3 });
    });
  }
});

test("throttled access requests after a reset to one resource held by 32 connections (resgate#217)", async (t) => {
  const gw = await ExtraGateway.onEnv(env, { resetThrottle: 3 });
  t.after(() => gw.stop());
  const p = env.prefix();
  const rid = `${p}.model`;
  let reset = false;
  const held: ServiceRequest[] = [];
  env.service.handle(`access.${rid}`, (r) => {
    if (reset) held.push(r);
    else r.access(true);
  });
  env.service.handle(`get.${rid}`, (r) => r.model(MODEL));
  const conns = [];
  for (let i = 0; i < 32; i++) {
    const c = await connectUrl(gw.wsUrl, t);
    assertResult(await c.request(`subscribe.${rid}`), { models: { [rid]: MODEL } });
    conns.push(c);
  }
  reset = true;
  env.service.publish("system.reset", { resources: null, access: [`${p}.>`] });
  for (let answered = 0; answered < 32; answered++) {
    const inFlight = Math.min(3, 32 - answered);
    await waitUntil(() => held.length >= inFlight, `${inFlight} access requests in flight`);
    await sleep(20);
    assert.equal(held.length, inFlight, "access requests in flight");
    held.shift()?.access(true);
  }
  await sleep(100);
  assert.equal(held.length, 0);
  assert.equal(env.service.requests(`access.${rid}`).length, 64);
  assert.equal(env.service.requests(`get.${rid}`).length, 1);
  await within(
    Promise.all(conns.map((c) => c.request("version", { protocol: LATEST }))),
    1000,
    "every connection answers",
  );
});
