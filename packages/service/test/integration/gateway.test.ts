/**
 * Services end to end: a real nats-server, the resgate-ts gateway in-process, and a
 * raw WebSocket client asserting what clients see.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { Service, silentLogger, type QueryRequest, type Value } from "../../src/index.js";
import { GatewayEnv } from "../support/gateway-env.js";
import type { ClientEvent } from "../support/ws-client.js";

let env: GatewayEnv;
const services: Service[] = [];
let counter = 0;

before(async () => {
  env = await GatewayEnv.start();
});

after(async () => {
  for (const s of services) await s.close();
  await env.stop();
});

function newService(): { service: Service; name: string } {
  const name = `e2e${++counter}`;
  const service = new Service(name, { logger: silentLogger, queryEventDuration: 1000 });
  services.push(service);
  return { service, name };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Applies a client add/remove event to a list. */
function applyEvent(list: unknown[], ev: ClientEvent): void {
  assert.ok(isRecord(ev.data), `event data: ${JSON.stringify(ev)}`);
  const idx = ev.data["idx"];
  assert.equal(typeof idx, "number");
  if (ev.event.endsWith(".add")) list.splice(Number(idx), 0, ev.data["value"]);
  else if (ev.event.endsWith(".remove")) list.splice(Number(idx), 1);
  else assert.fail(`unexpected event ${ev.event}`);
}

test("subscribe to a model; change events reach the client", async () => {
  const { service, name } = newService();
  const books = new Map([["1", "Dune"]]);
  service.handle("book.$id", {
    type: "model",
    access: (r) => r.accessGranted(),
    get: (r) => {
      const title = books.get(r.pathParams.id);
      if (title === undefined) r.notFound();
      else r.model({ title });
    },
    call: {
      set: (r) => {
        const title = r.parseParams((p) => {
          if (isRecord(p) && typeof p["title"] === "string") return p["title"];
          throw new Error("title must be a string");
        });
        books.set(r.pathParams.id, title);
        r.changeEvent({ title });
        r.ok();
      },
    },
  });
  await service.serve(env.nats.url);
  const c = await env.client();
  assert.deepEqual(await c.result(`subscribe.${name}.book.1`), {
    models: { [`${name}.book.1`]: { title: "Dune" } },
  });
  assert.deepEqual(await c.result(`call.${name}.book.1.set`, { title: "Emma" }), {
    payload: null,
  });
  assert.deepEqual((await c.nextEvent(`${name}.book.1.change`)).data, {
    values: { title: "Emma" },
  });
  // An event sent from outside a handler, on the resource's queue.
  books.set("1", "Ulysses");
  await service.change(`${name}.book.1`, { title: "Ulysses" });
  assert.deepEqual((await c.nextEvent(`${name}.book.1.change`)).data, {
    values: { title: "Ulysses" },
  });
  assert.deepEqual(await c.error(`subscribe.${name}.book.404`), {
    code: "system.notFound",
    message: "Not found",
  });
});

test("collection add and remove events", async () => {
  const { service, name } = newService();
  const list: Value[] = ["a", "b"];
  service.handle("list", {
    type: "collection",
    access: (r) => r.access(true),
    get: (r) => r.collection(list),
    apply: {
      add: (_r, idx, value) => {
        list.splice(idx, 0, value);
      },
      remove: (_r, idx) => {
        list.splice(idx, 1);
      },
    },
  });
  await service.serve(env.nats.url);
  const c = await env.client();
  const rid = `${name}.list`;
  assert.deepEqual(await c.result(`subscribe.${rid}`), { collections: { [rid]: ["a", "b"] } });
  await service.add(rid, 1, "x");
  assert.deepEqual((await c.nextEvent(`${rid}.add`)).data, { value: "x", idx: 1 });
  await service.remove(rid, 0);
  assert.deepEqual((await c.nextEvent(`${rid}.remove`)).data, { idx: 0 });
  assert.deepEqual(list, ["x", "b"]);
});

test("call with a result and with a resource response", async () => {
  const { service, name } = newService();
  const books = new Map<string, string>();
  service.handle("book.$id", {
    access: (r) => r.accessGranted(),
    get: (r) => {
      const title = books.get(r.pathParams.id);
      if (title === undefined) r.notFound();
      else r.model({ title });
    },
  });
  service.handle("books", {
    access: (r) => r.accessGranted(),
    call: {
      count: (r) => r.ok({ count: books.size }),
      create: (r) => {
        const id = String(books.size + 1);
        books.set(id, "New book");
        r.resource(`${name}.book.${id}`);
      },
    },
  });
  await service.serve(env.nats.url);
  const c = await env.client();
  assert.deepEqual(await c.result(`call.${name}.books.count`), { payload: { count: 0 } });
  assert.deepEqual(await c.result(`call.${name}.books.create`), {
    rid: `${name}.book.1`,
    models: { [`${name}.book.1`]: { title: "New book" } },
  });
  assert.deepEqual(await c.error(`call.${name}.books.nope`), {
    code: "system.methodNotFound",
    message: "Method not found",
  });
});

test("auth sets the connection token; access uses it", async () => {
  const { service, name } = newService();
  service.handle("auth", {
    auth: {
      login: (r) => {
        const password = r.parseParams((p) => (isRecord(p) ? p["password"] : undefined));
        if (password !== "secret") {
          r.invalidParams("Wrong password");
          return;
        }
        r.tokenEvent({ user: "admin" });
        r.ok();
      },
    },
  });
  service.handle("secret", {
    access: (r) => {
      if (isRecord(r.token) && r.token["user"] === "admin") r.accessGranted();
      else r.accessDenied();
    },
    get: (r) => r.model({ secret: 42 }),
  });
  await service.serve(env.nats.url);
  const c = await env.client();
  assert.deepEqual(await c.error(`subscribe.${name}.secret`), {
    code: "system.accessDenied",
    message: "Access denied",
  });
  assert.deepEqual(await c.error(`auth.${name}.auth.login`, { password: "wrong" }), {
    code: "system.invalidParams",
    message: "Wrong password",
  });
  assert.deepEqual(await c.result(`auth.${name}.auth.login`, { password: "secret" }), {
    payload: null,
  });
  assert.deepEqual(await c.result(`subscribe.${name}.secret`), {
    models: { [`${name}.secret`]: { secret: 42 } },
  });
  // Another connection has no token.
  const other = await env.client();
  assert.equal((await other.error(`subscribe.${name}.secret`)).code, "system.accessDenied");
});

test("a query resource kept live with query events", async () => {
  const { service, name } = newService();
  const items = ["a", "b", "c"];
  const limitOf = (q: string): number => Number(new URLSearchParams(q).get("limit") ?? "10");
  const view = (list: readonly string[], q: string): string[] => list.slice(0, limitOf(q));
  service.handle("items", {
    type: "collection",
    access: (r) => r.access(true),
    get: (r) => {
      const limit = limitOf(r.query);
      if (!Number.isInteger(limit) || limit < 0) r.invalidQuery();
      else r.collection(view(items, r.query), `limit=${limit}`);
    },
  });
  await service.serve(env.nats.url);
  const c = await env.client();
  const rid = `${name}.items?limit=2`;
  assert.deepEqual(await c.result(`subscribe.${rid}`), { collections: { [rid]: ["a", "b"] } });
  const seen = ["a", "b"];

  // An insert at the front, answered with events: drop the last, add the new first.
  const inserted = "z";
  await service.with(`${name}.items`, (r) => {
    items.unshift(inserted);
    r.queryEvent((q: QueryRequest) => {
      const limit = limitOf(q.query);
      if (limit === 0) return;
      if (items.length - 1 >= limit) q.removeEvent(limit - 1);
      q.addEvent(0, inserted);
    });
  });
  applyEvent(seen, await c.nextEvent(`${rid}.remove`));
  applyEvent(seen, await c.nextEvent(`${rid}.add`));
  assert.deepEqual(seen, ["z", "a"]);

  // A removal, answered with the full collection: the gateway sends the difference.
  const before = view(items, "limit=2");
  items.splice(1, 1); // remove "a"
  await service.queryEvent(`${name}.items`, (q) => q.collection(view(items, q.query)));
  const after = view(items, "limit=2");
  assert.notDeepEqual(before, after);
  applyEvent(seen, await c.nextEvent(`${rid}.remove`));
  applyEvent(seen, await c.nextEvent(`${rid}.add`));
  assert.deepEqual(seen, after);
});

test("system.reset after a service restart resynchronises clients", async () => {
  const name = `e2e${++counter}`;
  let title = "Old";
  const make = (): Service => {
    const s = new Service(name, { logger: silentLogger });
    s.handle("model", { access: (r) => r.accessGranted(), get: (r) => r.model({ title }) });
    services.push(s);
    return s;
  };
  const first = make();
  await first.serve(env.nats.url);
  const c = await env.client();
  assert.deepEqual(await c.result(`subscribe.${name}.model`), {
    models: { [`${name}.model`]: { title: "Old" } },
  });
  await first.close();
  title = "New"; // changed while no service ran: no event was sent
  await make().serve(env.nats.url);
  assert.deepEqual((await c.nextEvent(`${name}.model.change`, 5000)).data, {
    values: { title: "New" },
  });
});

test("system.reset after a reconnect resynchronises clients", async () => {
  const { service, name } = newService();
  let count = 1;
  service.handle("counter", { access: (r) => r.accessGranted(), get: (r) => r.model({ count }) });
  const nc = await connect({ servers: env.nats.url, reconnectTimeWait: 50 });
  await service.serve(nc);
  const c = await env.client();
  assert.deepEqual(await c.result(`subscribe.${name}.counter`), {
    models: { [`${name}.counter`]: { count: 1 } },
  });
  count = 2; // as if the change event was lost while disconnected
  await nc.reconnect();
  assert.deepEqual((await c.nextEvent(`${name}.counter.change`, 3000)).data, {
    values: { count: 2 },
  });
  await service.close();
  await nc.close();
});
