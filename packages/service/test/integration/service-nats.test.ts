/**
 * The service against a real nats-server, driven by a raw NATS client that sends
 * requests as a gateway would and records the events the service publishes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect } from "@nats-io/transport-node";
import {
  Delete,
  ResError,
  Service,
  silentLogger,
  type QueryRequest,
  type ServiceOptions,
} from "../../src/index.js";
import { RawClient } from "../support/nats-client.js";
import { NatsServer } from "../support/nats-server.js";
import { signal, sleep, until, within } from "../support/wait.js";

let nats: NatsServer;
let client: RawClient;
const services: Service[] = [];
let counter = 0;

before(async () => {
  nats = await NatsServer.start();
  client = await RawClient.connect(nats.url);
  await client.listen("system.>");
  await client.listen("event.>");
  await client.listen("conn.>");
});

after(async () => {
  for (const s of services) await s.close();
  await client.close();
  await nats.stop();
});

/** A new service with a unique name; errors reported are collected in `errors`. */
function newService(opts: ServiceOptions = {}): {
  service: Service;
  name: string;
  errors: string[];
} {
  const name = `svc${++counter}`;
  const errors: string[] = [];
  const service = new Service(name, {
    logger: silentLogger,
    onError: (m) => errors.push(m),
    ...opts,
  });
  services.push(service);
  return { service, name, errors };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Reads `{ "title": string }` params. */
function parseTitle(p: unknown): string {
  if (isRecord(p) && typeof p["title"] === "string") return p["title"];
  throw new Error("title must be a string");
}

describe("serving", () => {
  test("sends system.reset for its resources on serve", async () => {
    const { service, name } = newService();
    service.handle("book.$id", { get: (r) => r.model({ id: r.pathParams.id }) });
    await service.serve(nats.url);
    const reset = await client.next("system.reset", 2000, `"${name}.>"`);
    assert.deepEqual(reset.json, { resources: [`${name}.>`] });
  });

  test("includes access patterns with access handlers, and the root with a root handler", async () => {
    const { service, name } = newService();
    service.handle("", { access: (r) => r.accessGranted(), get: (r) => r.model({}) });
    await service.serve(nats.url);
    const reset = await client.next("system.reset", 2000, `"${name}.>"`);
    assert.deepEqual(reset.json, {
      resources: [name, `${name}.>`],
      access: [name, `${name}.>`],
    });
    assert.deepEqual(await client.request(`get.${name}`), { result: { model: {} } });
  });

  test("configurable reset patterns", async () => {
    const { service, name } = newService({ resetAccess: [] });
    service.setReset([`${name}.books`], undefined);
    service.handle("books", { get: (r) => r.collection([]) });
    await service.serve(nats.url);
    assert.deepEqual((await client.next("system.reset", 2000, `"${name}.books"`)).json, {
      resources: [`${name}.books`],
    });
  });

  test("refuses to serve without handlers", async () => {
    const { service } = newService();
    await assert.rejects(service.serve(nats.url), /no resources to serve/);
    assert.equal(service.serving, false);
  });

  test("sends system.reset again after a reconnect", async () => {
    const disconnected = signal();
    const reconnected = signal();
    const { service, name } = newService({
      onDisconnect: () => disconnected.resolve(),
      onReconnect: () => reconnected.resolve(),
    });
    service.handle("m", { get: (r) => r.model({}) });
    const nc = await connect({ servers: nats.url, reconnectTimeWait: 50 });
    await service.serve(nc);
    await client.next("system.reset", 2000, `"${name}.>"`);
    await nc.reconnect();
    await within(disconnected.promise, 3000, "onDisconnect");
    await within(reconnected.promise, 3000, "onReconnect");
    assert.deepEqual((await client.next("system.reset", 3000, `"${name}.>"`)).json, {
      resources: [`${name}.>`],
    });
    await service.close();
    assert.equal(nc.isClosed(), false, "a connection passed to serve is left open");
    await nc.close();
  });
});

describe("requests", () => {
  let name = "";
  let errors: string[] = [];
  const store = new Map<string, string>([["1", "Dune"]]);

  before(async () => {
    const s = newService();
    name = s.name;
    errors = s.errors;
    const { service } = s;
    service.handle("book.$id", {
      type: "model",
      access: (r) => {
        if (isRecord(r.token) && r.token["role"] === "admin") r.accessGranted();
        else if (r.token === null) r.access(true);
        else r.accessDenied();
      },
      get: (r) => {
        const title = store.get(r.pathParams.id);
        if (title === undefined) r.notFound();
        else r.model({ title });
      },
      call: {
        set: (r) => {
          const title = r.parseParams(parseTitle);
          store.set(r.pathParams.id, title);
          r.changeEvent({ title });
          r.ok();
        },
        slow: (r) => {
          r.timeout(5000);
          setTimeout(() => r.ok("late"), 20);
          return sleep(30);
        },
        copy: (r) => r.resource(`${name}.book.${r.pathParams.id}?copy=1`),
        boom: () => {
          throw new Error("kaboom");
        },
        custom: () => {
          throw new ResError("library.custom", "Custom error", { n: 1 });
        },
        asyncBoom: async () => {
          await sleep(1);
          throw new Error("async kaboom");
        },
        forget: () => undefined,
        forgetAsync: async () => {
          await sleep(1);
        },
        twice: (r) => {
          r.ok(1);
          r.ok(2);
        },
        "*": (r) => r.ok({ any: r.method }),
      },
      new: (r) => r.newResource(`${name}.book.99`),
    });
    service.handle("books", {
      type: "collection",
      get: (r) => {
        const limit = Number(r.parseQuery().get("limit") ?? "10");
        if (!Number.isInteger(limit) || limit < 0) {
          r.invalidQuery();
          return;
        }
        const items = [...store.values()].slice(0, limit);
        r.collection(items, r.query === "" ? undefined : `limit=${limit}`);
      },
    });
    service.handle("auth", {
      auth: {
        login: (r) => {
          r.tokenEvent({ role: "admin", host: r.host }, "t1");
          r.ok({ cid: r.cid });
        },
      },
    });
    service.handle("noaccess", { get: (r) => r.model({}) });
    await service.serve(nats.url);
    await client.next("system.reset", 2000, `"${name}.>"`);
  });

  test("access with and without token", async () => {
    assert.deepEqual(await client.request(`access.${name}.book.1`, { cid: "c1" }), {
      result: { get: true },
    });
    assert.deepEqual(
      await client.request(`access.${name}.book.1`, { cid: "c1", token: { role: "admin" } }),
      { result: { get: true, call: "*" } },
    );
    assert.deepEqual(
      await client.request(`access.${name}.book.1`, { cid: "c1", token: { role: "guest" } }),
      { error: { code: "system.accessDenied", message: "Access denied" } },
    );
  });

  test("access requests without an access handler are left unanswered", async () => {
    await assert.rejects(client.request(`access.${name}.noaccess`, { cid: "c" }, 200));
  });

  test("get model, not found, and unknown resources", async () => {
    assert.deepEqual(await client.request(`get.${name}.book.1`), {
      result: { model: { title: "Dune" } },
    });
    assert.deepEqual(await client.request(`get.${name}.book.404`), {
      error: { code: "system.notFound", message: "Not found" },
    });
    assert.deepEqual(await client.request(`get.${name}.unknown.thing`), {
      error: { code: "system.notFound", message: "Not found" },
    });
  });

  test("get collection with a normalized query", async () => {
    assert.deepEqual(await client.request(`get.${name}.books`, { query: "limit=05" }), {
      result: { collection: ["Dune"], query: "limit=5" },
    });
    assert.deepEqual(await client.request(`get.${name}.books`, { query: "limit=x" }), {
      error: { code: "system.invalidQuery", message: "Invalid query" },
    });
  });

  test("call: change event before the response, params validation", async () => {
    const reply = await client.request(`call.${name}.book.2.set`, {
      cid: "c1",
      params: { title: "Emma" },
    });
    assert.deepEqual(reply, { result: null });
    const ev = await client.next(`event.${name}.book.2.change`);
    assert.deepEqual(ev.json, { values: { title: "Emma" } });
    assert.deepEqual(
      await client.request(`call.${name}.book.2.set`, { cid: "c1", params: { title: 1 } }),
      { error: { code: "system.invalidParams", message: "title must be a string" } },
    );
  });

  test("call: resource response, new, wildcard and unknown methods", async () => {
    assert.deepEqual(await client.request(`call.${name}.book.1.copy`, { cid: "c" }), {
      resource: { rid: `${name}.book.1?copy=1` },
    });
    assert.deepEqual(await client.request(`call.${name}.book.1.new`, { cid: "c" }), {
      result: { rid: `${name}.book.99` },
    });
    assert.deepEqual(await client.request(`call.${name}.book.1.other`, { cid: "c" }), {
      result: { any: "other" },
    });
    assert.deepEqual(await client.request(`call.${name}.books.other`, { cid: "c" }), {
      error: { code: "system.methodNotFound", message: "Method not found" },
    });
    assert.deepEqual(await client.request(`call.${name}.book.1.toString`, { cid: "c" }), {
      result: { any: "toString" },
    });
  });

  test("call: timeout pre-response, then the response from an async handler", async () => {
    const replies = await client.requestAll(`call.${name}.book.1.slow`, { cid: "c" }, 2);
    assert.deepEqual(replies, ['timeout:"5000"', '{"result":"late"}']);
  });

  test("handler errors", async () => {
    const before = errors.length;
    assert.deepEqual(await client.request(`call.${name}.book.1.boom`, { cid: "c" }), {
      error: { code: "system.internalError", message: "Internal error" },
    });
    assert.deepEqual(await client.request(`call.${name}.book.1.asyncBoom`, { cid: "c" }), {
      error: { code: "system.internalError", message: "Internal error" },
    });
    assert.deepEqual(await client.request(`call.${name}.book.1.custom`, { cid: "c" }), {
      error: { code: "library.custom", message: "Custom error", data: { n: 1 } },
    });
    assert.equal(errors.length - before, 2, "plain errors are reported, ResErrors are not");
  });

  test("missing responses are answered with an internal error", async () => {
    for (const m of ["forget", "forgetAsync"]) {
      assert.deepEqual(await client.request(`call.${name}.book.1.${m}`, { cid: "c" }), {
        error: { code: "system.internalError", message: "Internal error: missing response" },
      });
    }
    assert.ok(errors.some((e) => e.startsWith("missing response")));
  });

  test("a second answer is not sent, and is reported", async () => {
    const replies = await client.requestAll(`call.${name}.book.1.twice`, { cid: "c" }, 1);
    assert.deepEqual(replies, ['{"result":1}']);
    await sleep(50);
    assert.ok(errors.some((e) => e.startsWith("response already sent")));
  });

  test("auth: the token event is sent before the response", async () => {
    const reply = await client.request(`auth.${name}.auth.login`, {
      cid: "cid42",
      host: "example.com",
    });
    assert.deepEqual(reply, { result: { cid: "cid42" } });
    const ev = await client.next("conn.cid42.token", 0);
    assert.deepEqual(ev.json, { token: { role: "admin", host: "example.com" }, tid: "t1" });
    assert.deepEqual(await client.request(`auth.${name}.auth.logout`, { cid: "c" }), {
      error: { code: "system.methodNotFound", message: "Method not found" },
    });
  });

  test("a malformed payload is an internal error", async () => {
    const m = await client.nc.request(`get.${name}.book.1`, "{bad", { timeout: 1000 });
    assert.deepEqual(m.json(), {
      error: { code: "system.internalError", message: "Internal error: invalid request payload" },
    });
  });
});

describe("ordering and events", () => {
  test("one resource in order, different resources in parallel", async () => {
    const { service, name } = newService();
    const log: string[] = [];
    const gate = signal();
    service.handle("item.$id", {
      get: async (r) => {
        log.push(`get ${r.pathParams.id} start`);
        if (r.pathParams.id === "slow") await gate.promise;
        log.push(`get ${r.pathParams.id} end`);
        r.model({ id: r.pathParams.id });
      },
      call: {
        touch: (r) => {
          log.push(`touch ${r.pathParams.id}`);
          r.ok();
        },
      },
    });
    await service.serve(nats.url);
    const slowGet = client.request(`get.${name}.item.slow`);
    await until(() => log.includes("get slow start"), 1000, "slow get started");
    const slowTouch = client.request(`call.${name}.item.slow.touch`, { cid: "c" });
    const event = service.change(`${name}.item.slow`, { n: 1 });
    // Another resource is not held up.
    await client.request(`get.${name}.item.fast`);
    assert.ok(!log.includes("touch slow"));
    gate.resolve();
    await Promise.all([slowGet, slowTouch, event]);
    assert.deepEqual(log, [
      "get slow start",
      "get fast start",
      "get fast end",
      "get slow end",
      "touch slow",
    ]);
    assert.deepEqual((await client.next(`event.${name}.item.slow.change`)).json, {
      values: { n: 1 },
    });
  });

  test("service event helpers and with()", async () => {
    const { service, name } = newService();
    const list = ["a", "b"];
    service.handle("list", {
      type: "collection",
      get: (r) => r.collection(list),
      apply: {
        add: (_r, idx, v) => {
          list.splice(idx, 0, typeof v === "string" ? v : JSON.stringify(v));
        },
        remove: (_r, idx) => {
          list.splice(idx, 1);
        },
      },
    });
    service.handle("model", { type: "model", get: (r) => r.model({ a: 1, b: 2 }) });
    await service.serve(nats.url);
    const rid = `${name}.list`;
    await service.add(rid, 2, "c");
    await service.remove(rid, 0);
    assert.deepEqual(list, ["b", "c"]);
    await service.change(`${name}.model`, { a: 2, b: Delete });
    await service.event(`${name}.model`, "notice", { text: "hi" });
    await service.reaccess(`${name}.model`);
    await service.create(`${name}.model`);
    await service.delete(`${name}.model`);
    assert.deepEqual((await client.next(`event.${rid}.add`)).json, { value: "c", idx: 2 });
    assert.deepEqual((await client.next(`event.${rid}.remove`)).json, { idx: 0 });
    assert.deepEqual((await client.next(`event.${name}.model.change`)).json, {
      values: { a: 2, b: { action: "delete" } },
    });
    assert.deepEqual((await client.next(`event.${name}.model.notice`)).json, { text: "hi" });
    assert.equal((await client.next(`event.${name}.model.reaccess`)).text, "");
    assert.equal((await client.next(`event.${name}.model.create`)).text, "");
    assert.equal((await client.next(`event.${name}.model.delete`)).text, "");
    const value = await service.with(rid, (r) => r.value());
    assert.deepEqual(value, { collection: ["b", "c"] });
    await assert.rejects(service.change(`${name}.nothing`, { a: 1 }), /no handler/);
    await assert.rejects(service.change(`${name}.list`, { a: 1 }), /not allowed on collections/);
  });

  test("token events, token reset and reset", async () => {
    const { service, name } = newService();
    service.handle("m", { get: (r) => r.model({}) });
    await service.serve(nats.url);
    service.tokenEvent("abc", { user: 1 });
    service.tokenReset("auth.x.renew", ["1", "2"]);
    service.tokenReset("auth.x.renew", []);
    service.reset([`${name}.m`], [`${name}.>`]);
    assert.deepEqual((await client.next("conn.abc.token")).json, { token: { user: 1 } });
    assert.deepEqual((await client.next("system.tokenReset")).json, {
      tids: ["1", "2"],
      subject: "auth.x.renew",
    });
    await client.next("system.reset", 2000, `"${name}.>"`); // from serve
    assert.deepEqual((await client.next("system.reset", 2000, `"${name}.m"`)).json, {
      resources: [`${name}.m`],
      access: [`${name}.>`],
    });
    assert.throws(() => service.reset(["a..b"]), /invalid resource pattern/);
  });
});

describe("query events", () => {
  test("answers query requests with events, on a unique subject", async () => {
    const { service, name, errors } = newService({ queryEventDuration: 300 });
    const items = ["a", "b", "c"];
    const window = (q: string): string[] =>
      items.slice(0, Number(new URLSearchParams(q).get("limit")));
    service.handle("items", {
      type: "collection",
      get: (r) => r.collection(window(r.query), r.query),
    });
    await service.serve(nats.url);
    const before = window("limit=2");
    items.unshift("z");
    const handler = (qr: QueryRequest): void => {
      const now = window(qr.query);
      // The simplest correct answer: remove what was there, add what is there now.
      if (now.join() === before.join()) return;
      for (let i = before.length - 1; i >= 0; i--) qr.removeEvent(i);
      now.forEach((v, i) => qr.addEvent(i, v));
    };
    await service.queryEvent(`${name}.items`, handler);
    const ev = await client.next(`event.${name}.items.query`);
    assert.ok(isRecord(ev.json));
    const subject = ev.json["subject"];
    assert.equal(typeof subject, "string");
    const subj = String(subject);
    assert.deepEqual(await client.request(subj, { query: "limit=2" }), {
      result: {
        events: [
          { event: "remove", data: { idx: 1 } },
          { event: "remove", data: { idx: 0 } },
          { event: "add", data: { value: "z", idx: 0 } },
          { event: "add", data: { value: "a", idx: 1 } },
        ],
      },
    });
    assert.deepEqual(await client.request(subj, {}), {
      error: { code: "system.internalError", message: "Internal error: missing query" },
    });
    assert.ok(errors.some((e) => e.startsWith("missing query")));
    await sleep(400);
    await assert.rejects(client.request(subj, { query: "limit=2" }, 200), "window closed");
  });
});

describe("scale and shutdown", () => {
  test("instances share requests through the queue group", async () => {
    const name = `svc${++counter}`;
    const counts = [0, 0];
    const instances = [0, 1].map((i) => {
      const s = new Service(name, { logger: silentLogger });
      services.push(s);
      s.handle("n", {
        get: (r) => {
          counts[i] = (counts[i] ?? 0) + 1;
          r.model({ i });
        },
      });
      return s;
    });
    for (const s of instances) await s.serve(nats.url);
    for (let i = 0; i < 40; i++) await client.request(`get.${name}.n`);
    assert.equal((counts[0] ?? 0) + (counts[1] ?? 0), 40, "each request answered once");
    assert.ok(
      (counts[0] ?? 0) > 0 && (counts[1] ?? 0) > 0,
      `both instances used: ${counts.join()}`,
    );
  });

  test("close() finishes running handlers, then stops taking requests", async () => {
    const { service, name } = newService();
    const gate = signal();
    service.handle("m", {
      get: async (r) => {
        await gate.promise;
        r.model({ done: true });
      },
    });
    await service.serve(nats.url);
    const pending = client.request(`get.${name}.m`);
    await sleep(30);
    const closing = service.close();
    gate.resolve();
    assert.deepEqual(await pending, { result: { model: { done: true } } });
    await within(closing, 3000, "close");
    assert.equal(service.serving, false);
    assert.equal(service.connection, undefined);
    await assert.rejects(client.request(`get.${name}.m`, undefined, 200));
  });
});
