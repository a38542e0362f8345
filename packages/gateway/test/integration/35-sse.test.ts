// Server-sent events (beyond Resgate): GET with Accept: text/event-stream sends the
// resource, then the events of it and of the resources it references, while access
// allows; heartbeats; Last-Event-ID; the stream's end.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";
import { errorBody } from "../support/http.js";
import { ExtraGateway, waitUntil } from "../support/request-basics-helpers.js";
import { SseClient, type SseMessage } from "../support/sse.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({ sseHeartbeatMs: 100, unsubscribeDelayMs: 50 });
});
after(async () => {
  await env.stop();
});

const streams: SseClient[] = [];
async function open(
  path: string,
  headers: Record<string, string> = {},
  base = env.httpUrl,
): Promise<{ client: SseClient; text: string }> {
  const r = await SseClient.open(base + path, headers);
  streams.push(r.client);
  return r;
}
after(() => {
  for (const s of streams) s.close();
});

function event(m: SseMessage): { event?: string; id?: string; data: unknown } {
  return { event: m.event, id: m.id, data: JSON.parse(m.data ?? "null") as unknown };
}

test("the resource first, then its changes; access and get as for GET", async () => {
  const p = env.prefix();
  const rid = `${p}.model`;
  env.service.serveModel(rid, { n: 1, child: { rid: `${p}.child` } });
  env.service.serveModel(`${p}.child`, { c: "a" });
  const { client } = await open(`/api/${p}/model`);
  assert.equal(client.status, 200);
  assert.equal(client.headers.get("content-type"), "text/event-stream");
  assert.equal(client.headers.get("cache-control"), "no-cache");
  assert.equal(client.headers.get("access-control-allow-origin"), "*");
  assert.deepEqual(await client.next(), {
    id: "1",
    event: "resource",
    data: `{"n":1,"child":{"href":"/api/${p}/child","model":{"c":"a"}}}`,
  });
  const access = env.service.requests(`access.${rid}`)[0];
  assert.deepEqual(access?.data, { token: null, cid: access?.cid, isHttp: true });

  env.service.event(rid, "change", { values: { n: 2 } });
  assert.deepEqual(event(await client.next()), {
    id: "2",
    event: "change",
    data: { href: `/api/${p}/model`, rid, data: { values: { n: 2 } } },
  });
  // Events of referenced resources come too, named by their own href.
  env.service.event(`${p}.child`, "change", { values: { c: "b" } });
  assert.deepEqual(event(await client.next()), {
    id: "3",
    event: "change",
    data: { href: `/api/${p}/child`, rid: `${p}.child`, data: { values: { c: "b" } } },
  });
  // A custom event passes as it is.
  env.service.event(rid, "custom", { foo: ["bar"] });
  assert.deepEqual(event(await client.next()), {
    id: "4",
    event: "custom",
    data: { href: `/api/${p}/model`, rid, data: { foo: ["bar"] } },
  });
});

test("a new reference in a change is encoded as in a GET, with the new resource", async () => {
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, { ref: null });
  env.service.serveModel(`${p}.other`, { o: 1 });
  const { client } = await open(`/api/${p}/model`);
  await client.next();
  env.service.event(`${p}.model`, "change", {
    values: { ref: { rid: `${p}.other` }, soft: { rid: `${p}.x`, soft: true }, d: { data: [1] } },
  });
  assert.deepEqual(event(await client.next()).data, {
    href: `/api/${p}/model`,
    rid: `${p}.model`,
    data: {
      values: {
        ref: { href: `/api/${p}/other`, model: { o: 1 } },
        soft: { href: `/api/${p}/x` },
        d: [1],
      },
    },
  });
  // The new resource's own events follow.
  env.service.event(`${p}.other`, "change", { values: { o: 2 } });
  assert.equal(event(await client.next()).event, "change");
});

test("collections: add and remove", async () => {
  const p = env.prefix();
  env.service.serveCollection(`${p}.list`, ["a"]);
  env.service.serveModel(`${p}.item`, { name: "item" });
  const { client } = await open(`/api/${p}/list`);
  assert.equal((await client.next()).data, '["a"]');
  env.service.event(`${p}.list`, "add", { idx: 1, value: { rid: `${p}.item` } });
  assert.deepEqual(event(await client.next()).data, {
    href: `/api/${p}/list`,
    rid: `${p}.list`,
    data: { idx: 1, value: { href: `/api/${p}/item`, model: { name: "item" } } },
  });
  env.service.event(`${p}.list`, "remove", { idx: 0 });
  assert.deepEqual(event(await client.next()).data, {
    href: `/api/${p}/list`,
    rid: `${p}.list`,
    data: { idx: 0 },
  });
});

test("heartbeat comments keep an idle stream open", async () => {
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, { n: 1 });
  const { client } = await open(`/api/${p}/model`);
  await client.next();
  assert.deepEqual(await client.next(1000, true), { comment: "ping" });
});

test("Last-Event-ID: a fresh resource event, with ids continuing after it", async () => {
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, { n: 1 });
  const { client } = await open(`/api/${p}/model`, { "Last-Event-ID": "41" });
  const first = await client.next();
  assert.equal(first.id, "42");
  assert.equal(first.event, "resource");
  env.service.event(`${p}.model`, "change", { values: { n: 2 } });
  assert.equal((await client.next()).id, "43");
});

test("losing access: an unsubscribe event, then the stream ends", async () => {
  const p = env.prefix();
  let allowed = true;
  env.service.handle(`access.${p}.model`, (r) => r.access(allowed));
  env.service.handle(`get.${p}.model`, (r) => r.model({ n: 1 }));
  const { client } = await open(`/api/${p}/model`);
  await client.next();
  allowed = false;
  env.service.event(`${p}.model`, "reaccess");
  const m = event(await client.next());
  assert.equal(m.event, "unsubscribe");
  assert.deepEqual(m.data, {
    href: `/api/${p}/model`,
    rid: `${p}.model`,
    data: { reason: { code: "system.accessDenied", message: "Access denied" } },
  });
  await client.closed();
  // The re-check carries isHttp, as the first one did.
  assert.equal(env.service.requests(`access.${p}.model`).at(-1)?.data["isHttp"], true);
});

test("deletion: delete and unsubscribe events, then the stream ends", async () => {
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, { n: 1 });
  const { client } = await open(`/api/${p}/model`);
  await client.next();
  env.service.event(`${p}.model`, "delete");
  assert.equal((await client.next()).event, "delete");
  const u = event(await client.next());
  assert.equal(u.event, "unsubscribe");
  await client.closed();
});

test("a resource that cannot be had is answered as a GET would be", async () => {
  const p = env.prefix();
  env.service.handle(`access.${p}.model`, (r) => r.access(false));
  env.service.handle(`get.${p}.model`, (r) => r.model({}));
  const { client, text } = await open(`/api/${p}/model`);
  assert.equal(client.status, 401);
  assert.equal(text, errorBody("system.accessDenied", "Access denied"));
  const missing = await open(`/api/${p}/a.b`);
  assert.equal(missing.client.status, 404);
});

test("a client that goes away releases its subscriptions", async () => {
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, { n: 1 });
  const { client } = await open(`/api/${p}/model`);
  await client.next();
  assert.equal(env.gateway.isCached(`${p}.model`), true);
  client.close();
  await waitUntil(() => !env.gateway.isCached(`${p}.model`), "the resource to leave the cache");
});

test("with header auth, the stream's connection takes token events", async () => {
  const g = await ExtraGateway.onEnv(env, { headerAuth: "ssevault.login" });
  try {
    const p = env.prefix();
    env.service.handle(`access.${p}.model`, (r) => r.access(r.data["token"] !== null));
    env.service.handle(`get.${p}.model`, (r) => r.model({ n: 1 }));
    env.service.handle("auth.ssevault.login", (r) => {
      env.service.token(r.cid, { user: "ann" });
      void env.service.flush().then(() => r.result(null));
    });
    const base = `http://127.0.0.1:${g.gateway.address().port}`;
    const { client } = await open(`/api/${p}/model`, {}, base);
    assert.equal(client.status, 200);
    await client.next();
    const cid = env.service.requests("auth.ssevault.login").at(-1)?.cid ?? "";
    // Logging out (a null token) re-checks access, which now fails.
    env.service.token(cid, null);
    assert.equal((await client.next()).event, "unsubscribe");
    await client.closed();
  } finally {
    await g.stop();
  }
});

test("a gateway that stops ends its streams", async () => {
  const g = await ExtraGateway.onEnv(env, {});
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, { n: 1 });
  const { client } = await open(
    `/api/${p}/model`,
    {},
    `http://127.0.0.1:${g.gateway.address().port}`,
  );
  await client.next();
  await g.stop();
  await client.closed();
});
