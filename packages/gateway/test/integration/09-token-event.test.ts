// Connection token events (`conn.<cid>.token`) and system.tokenReset: the token in
// later requests, access re-checks on token changes, and token reset requests
// (Resgate's test/09conn_event_test.go, test/11system_event_test.go tokenReset
// tests, server/wsConn.go setToken/TokenReset).
import assert from "node:assert/strict";
import { after, before, test, type TestContext } from "node:test";
import {
  COLLECTION,
  MODEL,
  QUIET_MS,
  body,
  connectHeaderClient,
  connectVersion,
  expectEventsAnyOrder,
  getCid,
  noRequestSoon,
  requestDescription,
  setToken,
  sleep,
  subscribe,
  subscribeParent,
} from "../support/calls-helpers.js";
import { TestEnv } from "../support/env.js";
import type { TestClient } from "../support/ws-client.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({
    config: { requestTimeout: 500 },
  });
});
after(async () => {
  await env.stop();
});

const accessDenied = { code: "system.accessDenied", message: "Access denied" };
const TOKEN = { user: "foo" };
const EVENT = { foo: "bar" };

/** A call whose access is denied, returning the access request's body. */
async function deniedCallAccess(c: TestClient, rid: string): Promise<unknown> {
  const id = c.sendRequest(`call.${rid}.method`);
  const access = await env.service.next(`access.${rid}`);
  access.access(false);
  assert.deepEqual(await c.response(id), { id, error: accessDenied });
  return body(access);
}

// ---- the token in requests -----------------------------------------------------

test("the token is sent in access, call and auth requests", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN });

  const sid = c.sendRequest(`subscribe.${p}.model`);
  const access = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(access), { token: TOKEN, cid });
  access.access(true, "*");
  (await env.service.next(`get.${p}.model`)).model(MODEL);
  await c.response(sid);

  const id = c.sendRequest(`call.${p}.model.method`, { a: 1 });
  const call = await env.service.next(`call.${p}.model.method`);
  assert.deepEqual(body(call), { params: { a: 1 }, token: TOKEN, cid });
  call.result(null);
  await c.response(id);

  assert.deepEqual(await deniedCallAccess(c, `${p}.other`), { token: TOKEN, cid });
});

test("the token is sent in auth requests with the upgrade request description", async (t) => {
  const p = env.prefix();
  const c = await connectHeaderClient(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN });
  const id = c.sendRequest(`auth.${p}.model.login`);
  const req = await env.service.next(`auth.${p}.model.login`);
  assert.deepEqual(body(req), {
    params: null,
    token: TOKEN,
    cid,
    ...requestDescription(env, c, { uri: "/" }),
  });
  req.result(null);
  await c.response(id);
});

test("the last token is used, and a null token clears it", async (t) => {
  const p = env.prefix();
  const token1 = { user: "foo", token: 1 };
  const token2 = { user: "bar", token: 2 };
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: token1 });
  assert.deepEqual(await deniedCallAccess(c, `${p}.model1`), { token: token1, cid });
  await setToken(env, c, { cid, prefix: p, token: token2 });
  assert.deepEqual(await deniedCallAccess(c, `${p}.model2`), { token: token2, cid });
  await setToken(env, c, { cid, prefix: p, token: null });
  assert.deepEqual(await deniedCallAccess(c, `${p}.model3`), { token: null, cid });
});

test("the token is sent as its JSON text, compacted", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  env.service.publish(`conn.${cid}.token`, '{"token":{ "n": 1.0, "big": 12345678901234567890 }}');
  await sleep(QUIET_MS);
  const id = c.sendRequest(`call.${p}.model.method`);
  const access = await env.service.next(`access.${p}.model`);
  assert.equal(
    access.raw,
    `{"token":{"n":1.0,"big":12345678901234567890},"cid":${JSON.stringify(cid)}}`,
  );
  access.access(false);
  await c.response(id);
});

test("token event member names match case-insensitively, as Go's JSON does", async (t) => {
  const p = env.prefix();
  const subject = `${p}.token.renew`;
  await env.service.listenTo(subject);
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  env.service.publish(`conn.${cid}.token`, '{"Token":{"user":"foo"},"TID":"foo"}');
  await sleep(QUIET_MS);
  assert.deepEqual(await deniedCallAccess(c, `${p}.model`), { token: { user: "foo" }, cid });
  env.service.publish("system.tokenReset", { tids: ["foo"], subject });
  const req = await env.service.next(subject);
  assert.equal((body(req) as Record<string, unknown>)["cid"], cid);
});

test("primitive tokens are sent as they are", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  for (const [i, token] of ["secret", 42, true, [1, "two"]].entries()) {
    await setToken(env, c, { cid, prefix: p, token });
    assert.deepEqual(await deniedCallAccess(c, `${p}.model${i}`), { token, cid });
  }
});

test("one connection's token never reaches another connection's requests", async (t) => {
  const p = env.prefix();
  const c1 = await connectVersion(env, t);
  const c2 = await connectVersion(env, t);
  const cid1 = await getCid(env, c1, p);
  const cid2 = await getCid(env, c2, p);
  await setToken(env, c1, { cid: cid1, prefix: p, token: TOKEN });
  assert.deepEqual(await deniedCallAccess(c2, `${p}.model`), { token: null, cid: cid2 });
  assert.deepEqual(await deniedCallAccess(c1, `${p}.model`), { token: TOKEN, cid: cid1 });
});

// ---- access re-checks ----------------------------------------------------------

test("the first token on a connection without one does not re-check access", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await subscribe(env, c, `${p}.model`, { model: MODEL });
  await setToken(env, c, { cid, prefix: p, token: TOKEN });
  await noRequestSoon(env, `access.${p}.model`);
  env.service.event(`${p}.model`, "custom", EVENT);
  assert.deepEqual(await c.nextEvent(), { event: `${p}.model.custom`, data: EVENT });
});

/** A client with a token, subscribed to a parent model (with a child) and a collection. */
async function tokenWithSubscriptions(
  t: TestContext,
  p: string,
): Promise<{ c: TestClient; cid: string }> {
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN });
  await subscribeParent(env, c, { parent: `${p}.model.parent`, child: `${p}.model` });
  await subscribe(env, c, `${p}.collection`, { collection: COLLECTION });
  return { c, cid };
}

test("a later token event, even the same token, re-checks every direct subscription", async (t) => {
  const p = env.prefix();
  const { c, cid } = await tokenWithSubscriptions(t, p);
  env.service.token(cid, TOKEN);
  const parent = await env.service.next(`access.${p}.model.parent`);
  const collection = await env.service.next(`access.${p}.collection`);
  assert.deepEqual(body(parent), { token: TOKEN, cid });
  assert.deepEqual(body(collection), { token: TOKEN, cid });
  parent.access(true);
  collection.access(true);
  await noRequestSoon(env, `access.${p}.model`);
  for (const rid of [`${p}.model`, `${p}.model.parent`, `${p}.collection`]) {
    env.service.event(rid, "custom", EVENT);
    assert.deepEqual(await c.nextEvent(), { event: `${rid}.custom`, data: EVENT });
  }
  await c.noEvent(QUIET_MS);
});

test("a token change that denies access unsubscribes the resources", async (t) => {
  const p = env.prefix();
  const { c, cid } = await tokenWithSubscriptions(t, p);
  const token2 = { user: "bar" };
  env.service.token(cid, token2);
  const parent = await env.service.next(`access.${p}.model.parent`);
  const collection = await env.service.next(`access.${p}.collection`);
  assert.deepEqual(body(parent), { token: token2, cid });
  parent.access(false);
  collection.error("system.accessDenied", "Access denied");
  await expectEventsAnyOrder(c, [
    { event: `${p}.model.parent.unsubscribe`, data: { reason: accessDenied } },
    { event: `${p}.collection.unsubscribe`, data: { reason: accessDenied } },
  ]);
  for (const rid of [`${p}.model`, `${p}.model.parent`, `${p}.collection`]) {
    env.service.event(rid, "custom", EVENT);
  }
  await c.noEvent(QUIET_MS);
});

test("any error on the re-check is the unsubscribe reason", async (t) => {
  const p = env.prefix();
  const { c, cid } = await tokenWithSubscriptions(t, p);
  env.service.token(cid, { user: "bar" });
  const parent = await env.service.next(`access.${p}.model.parent`);
  await env.service.next(`access.${p}.collection`); // never answered: a timeout
  parent.error("custom.error", "Custom error", { n: 1 });
  await expectEventsAnyOrder(c, [
    {
      event: `${p}.model.parent.unsubscribe`,
      data: { reason: { code: "custom.error", message: "Custom error", data: { n: 1 } } },
    },
    {
      event: `${p}.collection.unsubscribe`,
      data: { reason: { code: "system.timeout", message: "Request timeout" } },
    },
  ]);
});

test("a null token counts as a token: later token events re-check access", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN });
  await subscribe(env, c, `${p}.model`, { model: MODEL });

  await setToken(env, c, { cid, prefix: p, token: null });
  const first = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(first), { token: null, cid });
  first.access(true);

  env.service.token(cid, { user: "bar" });
  const second = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(second), { token: { user: "bar" }, cid });
  second.access(true);
  await c.noEvent(QUIET_MS);
});

test("a token event without a token clears it: the next token is a first token again", async (t) => {
  const p = env.prefix();
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN });
  await subscribe(env, c, `${p}.model`, { model: MODEL });

  await setToken(env, c, { cid, prefix: p, token: undefined }); // sends {}
  const recheck = await env.service.next(`access.${p}.model`);
  assert.deepEqual(body(recheck), { token: null, cid });
  recheck.access(true);

  await setToken(env, c, { cid, prefix: p, token: { user: "bar" } });
  await noRequestSoon(env, `access.${p}.model`);
});

for (const [name, payload] of [
  ["a non-string tid", '{"token":{"user":"bad"},"tid":42}'],
  ["malformed JSON", '{"token":'],
  ["a JSON array", '[{"token":{"user":"bad"}}]'],
] as const) {
  test(`a token event with ${name} is dropped`, async (t) => {
    const p = env.prefix();
    const c = await connectVersion(env, t);
    const cid = await getCid(env, c, p);
    await setToken(env, c, { cid, prefix: p, token: TOKEN });
    await subscribe(env, c, `${p}.model`, { model: MODEL });
    env.service.publish(`conn.${cid}.token`, payload);
    // A valid event after it, on the same subject: its re-check is the only one.
    await setToken(env, c, { cid, prefix: p, token: { user: "good" } });
    const recheck = await env.service.next(`access.${p}.model`);
    assert.deepEqual(body(recheck), { token: { user: "good" }, cid });
    recheck.access(true);
    await noRequestSoon(env, `access.${p}.model`);
  });
}

// ---- system.tokenReset ---------------------------------------------------------

test("system.tokenReset sends a request for a connection whose tid is listed", async (t) => {
  const p = env.prefix();
  const subject = `${p}.token.renew`;
  await env.service.listenTo(subject);
  const c = await connectHeaderClient(env, t, { query: "?x=1" });
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN, tid: "foo" });
  env.service.publish("system.tokenReset", { tids: ["bar", "foo"], subject });
  const req = await env.service.next(subject);
  assert.deepEqual(body(req), {
    token: TOKEN,
    cid,
    ...requestDescription(env, c, { uri: "/?x=1" }),
  });
  // The reply is discarded.
  req.error("system.accessDenied", "Access denied");
  await noRequestSoon(env, subject);
  assert.deepEqual(c.events, []);
});

test("system.tokenReset sends a null token when the token was cleared", async (t) => {
  const p = env.prefix();
  const subject = `${p}.token.renew`;
  await env.service.listenTo(subject);
  const c = await connectHeaderClient(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: null, tid: "foo" });
  env.service.publish("system.tokenReset", { tids: ["foo"], subject });
  const req = await env.service.next(subject);
  assert.deepEqual(body(req), { token: null, cid, ...requestDescription(env, c, { uri: "/" }) });
  req.result(null);
});

test("system.tokenReset sends requests only for the connections whose tid is listed", async (t) => {
  const p = env.prefix();
  const subject = `${p}.token.renew`;
  await env.service.listenTo(subject);
  const tokens = [
    { token: { user: "foo" }, tid: "foo" },
    { token: { user: "bar" }, tid: "bar" },
    { token: { user: "baz" }, tid: undefined },
    undefined,
  ];
  const cids: string[] = [];
  for (const tok of tokens) {
    const c = await connectVersion(env, t);
    const cid = await getCid(env, c, p);
    if (tok) await setToken(env, c, { cid, prefix: p, token: tok.token, tid: tok.tid });
    cids.push(cid);
  }
  env.service.publish("system.tokenReset", { tids: ["foo", "qux"], subject });
  const one = await env.service.next(subject);
  assert.deepEqual((body(one) as Record<string, unknown>)["cid"], cids[0]);
  assert.deepEqual((body(one) as Record<string, unknown>)["token"], { user: "foo" });
  await noRequestSoon(env, subject);

  env.service.publish("system.tokenReset", { tids: ["bar", "foo"], subject });
  const a = await env.service.next(subject);
  const b = await env.service.next(subject);
  const got = [a, b].map((r) => (body(r) as Record<string, unknown>)["cid"]).sort();
  assert.deepEqual(got, [cids[0], cids[1]].sort());
  await noRequestSoon(env, subject);
});

test("system.tokenReset sends nothing for a connection without tid", async (t) => {
  const p = env.prefix();
  const subject = `${p}.token.renew`;
  await env.service.listenTo(subject);
  const c = await connectVersion(env, t);
  const cid = await subscribe(env, c, `${p}.model`, { model: MODEL });
  env.service.publish("system.tokenReset", { tids: ["42"], subject });
  await noRequestSoon(env, subject);
  await setToken(env, c, { cid, prefix: p, token: TOKEN });
  env.service.publish("system.tokenReset", { tids: ["", "42"], subject });
  await noRequestSoon(env, subject);
});

test("system.tokenReset sends nothing when the tids do not match", async (t) => {
  const p = env.prefix();
  const subject = `${p}.token.renew`;
  await env.service.listenTo(subject);
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN, tid: "foo" });
  env.service.publish("system.tokenReset", { tids: ["bar", "baz"], subject });
  await noRequestSoon(env, subject);
});

test("system.tokenReset sends nothing for a closed connection", async (t) => {
  const p = env.prefix();
  const subject = `${p}.token.renew`;
  await env.service.listenTo(subject);
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN, tid: "foo" });
  c.close();
  await c.closed;
  await sleep(QUIET_MS);
  env.service.publish("system.tokenReset", { tids: ["foo"], subject });
  await noRequestSoon(env, subject);
});

test("system.tokenReset member names match case-insensitively, as Go's JSON does", async (t) => {
  const p = env.prefix();
  const subject = `${p}.token.renew`;
  await env.service.listenTo(subject);
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN, tid: "foo" });
  env.service.publish("system.tokenReset", `{"TIDS":["foo"],"Subject":"${subject}"}`);
  const req = await env.service.next(subject);
  assert.equal((body(req) as Record<string, unknown>)["cid"], cid);
});

test("a later token event without tid clears the tid", async (t) => {
  const p = env.prefix();
  const subject = `${p}.token.renew`;
  await env.service.listenTo(subject);
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN, tid: "foo" });
  await setToken(env, c, { cid, prefix: p, token: { user: "bar" } });
  env.service.publish("system.tokenReset", { tids: ["foo"], subject });
  await noRequestSoon(env, subject);
});

test("invalid system.tokenReset events send nothing", async (t) => {
  const p = env.prefix();
  const subject = `${p}.token.renew`;
  await env.service.listenTo(subject);
  const c = await connectVersion(env, t);
  const cid = await getCid(env, c, p);
  await setToken(env, c, { cid, prefix: p, token: TOKEN, tid: "foo" });
  for (const ev of [
    { tids: "foo", subject },
    { tids: ["foo"] },
    { tids: ["foo"], subject: "" },
    { tids: [], subject },
    { tids: ["foo", 42], subject },
    "{broken",
  ]) {
    env.service.publish("system.tokenReset", ev);
  }
  await noRequestSoon(env, subject);
  // The connection itself is eligible.
  env.service.publish("system.tokenReset", { tids: ["foo"], subject });
  const req = await env.service.next(subject);
  assert.equal((body(req) as Record<string, unknown>)["cid"], cid);
});
