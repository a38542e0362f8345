import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AccessRequest,
  AuthRequest,
  CallRequest,
  Delete,
  ErrorCode,
  GetRequest,
  NewRequest,
  QueryRequest,
  ResError,
  Resource,
  data,
  ref,
  softRef,
  type Handler,
  type ResourceValue,
} from "../../src/index.js";
import type { RequestPayload } from "../../src/request.js";
import type { ServiceCore } from "../../src/resource.js";

/** A service core that records what requests publish and report. */
class FakeCore implements ServiceCore {
  readonly published: { subject: string; payload: unknown }[] = [];
  readonly errors: string[] = [];
  publish(subject: string, payload?: string): void {
    this.published.push({
      subject,
      payload: payload === undefined ? undefined : JSON.parse(payload),
    });
  }
  reportError(message: string): void {
    this.errors.push(message);
  }
  queryEvent(): void {
    this.errors.push("queryEvent");
  }
  value(): Promise<ResourceValue> {
    return Promise.reject(new Error("no value"));
  }
}

interface Fixture<P extends object> {
  core: FakeCore;
  replies: unknown[];
  raw: string[];
  init: {
    core: FakeCore;
    resourceName: string;
    query: string;
    pathParams: P;
    handler: Handler<P> | undefined;
    group: string;
    responder: { subject: string; respond: (p: string) => void };
    payload: RequestPayload;
    method: string;
  };
}

function fixture<P extends object>(
  pathParams: P,
  opts: { payload?: RequestPayload; handler?: Handler<P>; method?: string; query?: string } = {},
): Fixture<P> {
  const core = new FakeCore();
  const replies: unknown[] = [];
  const raw: string[] = [];
  return {
    core,
    replies,
    raw,
    init: {
      core,
      resourceName: "library.book.1",
      query: opts.query ?? "",
      pathParams,
      handler: opts.handler,
      group: "library.book.1",
      responder: {
        subject: "x.library.book.1",
        respond: (p) => {
          raw.push(p);
          if (!p.startsWith("timeout:")) replies.push(JSON.parse(p));
        },
      },
      payload: opts.payload ?? {},
      method: opts.method ?? "",
    },
  };
}

describe("access requests", () => {
  test("grant, deny and partial access", () => {
    const f = fixture({ id: "1" }, { payload: { cid: "c1", token: { user: "a" } } });
    const r = new AccessRequest(f.init);
    assert.equal(r.cid, "c1");
    assert.deepEqual(r.token, { user: "a" });
    assert.equal(r.isHttp, false);
    r.accessGranted();
    assert.deepEqual(f.replies, [{ result: { get: true, call: "*" } }]);

    const g = fixture({});
    new AccessRequest(g.init).access(true, ["set", "add"]);
    new AccessRequest(g.init).access(false, "set");
    new AccessRequest(g.init).access(true);
    new AccessRequest(g.init).access(false);
    new AccessRequest(g.init).accessDenied();
    assert.deepEqual(g.replies, [
      { result: { get: true, call: "set,add" } },
      { result: { call: "set" } },
      { result: { get: true } },
      { error: { code: "system.accessDenied", message: "Access denied" } },
      { error: { code: "system.accessDenied", message: "Access denied" } },
    ]);
  });

  test("token is null without one, and parseToken validates", () => {
    const f = fixture({});
    const r = new AccessRequest(f.init);
    assert.equal(r.token, null);
    assert.throws(
      () =>
        r.parseToken((t) => {
          if (t === null) throw new Error("no token");
          return t;
        }),
      (e: unknown) => e instanceof ResError && e.code === ErrorCode.internalError,
    );
  });

  test("meta: HTTP status and headers only for HTTP requests", () => {
    const f = fixture({}, { payload: { isHttp: true } });
    const r = new AccessRequest(f.init);
    r.setResponseStatus(302);
    r.setResponseHeader("Location", "/login");
    r.accessDenied();
    assert.deepEqual(f.replies, [
      {
        error: { code: "system.accessDenied", message: "Access denied" },
        meta: { status: 302, header: { Location: ["/login"] } },
      },
    ]);
    const plain = new AccessRequest(fixture({}).init);
    assert.throws(() => plain.setResponseStatus(401), /isHttp/);
  });
});

describe("get requests", () => {
  test("model with values, references and data values", () => {
    const f = fixture({ id: "1" });
    const r = new GetRequest(f.init);
    assert.equal(r.pathParams.id, "1");
    r.model({ title: "Dune", author: ref("library.author.1"), next: softRef("library.book.2") });
    assert.deepEqual(f.replies, [
      {
        result: {
          model: {
            title: "Dune",
            author: { rid: "library.author.1" },
            next: { rid: "library.book.2", soft: true },
          },
        },
      },
    ]);
    assert.ok(r.replied);
  });

  test("collection with a normalized query", () => {
    const f = fixture({}, { query: "limit=2&start=0" });
    const r = new GetRequest(f.init);
    assert.equal(r.query, "limit=2&start=0");
    assert.equal(r.parseQuery().get("limit"), "2");
    assert.equal(r.rid, "library.book.1?limit=2&start=0");
    r.collection(["a", 1, true, null, data({ x: [1] })], "start=0&limit=2");
    assert.deepEqual(f.replies, [
      {
        result: {
          collection: ["a", 1, true, null, { data: { x: [1] } }],
          query: "start=0&limit=2",
        },
      },
    ]);
  });

  test("invalid values throw before anything is sent", () => {
    const f = fixture({});
    const r = new GetRequest(f.init);
    assert.throws(() => r.model({ nested: { data: 1, rid: "x" } }), /ambiguous/);
    assert.throws(() => r.collection([Number.NaN]), /not valid JSON/);
    assert.equal(r.replied, false);
    assert.deepEqual(f.replies, []);
  });

  test("declared resource type is enforced", () => {
    const f = fixture({}, { handler: { type: "collection" } });
    assert.throws(() => new GetRequest(f.init).model({}), /model response on collection/);
  });

  test("notFound, invalidQuery and errors", () => {
    const f = fixture({});
    new GetRequest(f.init).notFound();
    new GetRequest(f.init).invalidQuery("bad limit");
    new GetRequest(f.init).error(new ResError("library.custom", "Custom", { n: 1 }));
    new GetRequest(f.init).error(new Error("secret detail"));
    assert.deepEqual(f.replies, [
      { error: { code: "system.notFound", message: "Not found" } },
      { error: { code: "system.invalidQuery", message: "bad limit" } },
      { error: { code: "library.custom", message: "Custom", data: { n: 1 } } },
      { error: { code: "system.internalError", message: "Internal error" } },
    ]);
    assert.equal(f.core.errors.length, 1, "the plain error is reported, not sent");
  });

  test("only the first answer is sent; a second is reported", () => {
    const f = fixture({});
    const r = new GetRequest(f.init);
    r.model({ a: 1 });
    r.notFound();
    r.model({ a: 2 });
    assert.deepEqual(f.replies, [{ result: { model: { a: 1 } } }]);
    assert.equal(f.core.errors.filter((e) => e.includes("already sent")).length, 2);
  });
});

describe("call requests", () => {
  test("ok, params and parseParams", () => {
    const f = fixture(
      { id: "7" },
      { payload: { cid: "c", params: { title: "x" } }, method: "set" },
    );
    const r = new CallRequest(f.init);
    assert.equal(r.method, "set");
    assert.deepEqual(r.params, { title: "x" });
    const title = r.parseParams((p) => {
      if (typeof p === "object" && p !== null && "title" in p && typeof p.title === "string")
        return p.title;
      throw new Error("title required");
    });
    assert.equal(title, "x");
    r.ok({ done: true });
    assert.deepEqual(f.replies, [{ result: { done: true } }]);
  });

  test("parseParams failures are invalidParams errors", () => {
    const r = new CallRequest(fixture({}).init);
    assert.throws(
      () =>
        r.parseParams(() => {
          throw new Error("title required");
        }),
      (e: unknown) =>
        e instanceof ResError &&
        e.code === ErrorCode.invalidParams &&
        e.message === "title required",
    );
  });

  test("ok without a result, resource responses and method errors", () => {
    const f = fixture({});
    new CallRequest(f.init).ok();
    new CallRequest(f.init).resource("library.book.2?x=1");
    new CallRequest(f.init).methodNotFound();
    new CallRequest(f.init).invalidParams();
    new CallRequest(f.init).invalidParams("Missing title", { field: "title" });
    assert.deepEqual(f.replies, [
      { result: null },
      { resource: { rid: "library.book.2?x=1" } },
      { error: { code: "system.methodNotFound", message: "Method not found" } },
      { error: { code: "system.invalidParams", message: "Invalid parameters" } },
      {
        error: { code: "system.invalidParams", message: "Missing title", data: { field: "title" } },
      },
    ]);
    assert.throws(() => new CallRequest(f.init).resource("bad..rid"), /invalid resource ID/);
  });

  test("timeout sends a pre-response before the response", () => {
    const f = fixture({});
    const r = new CallRequest(f.init);
    r.timeout(15000);
    r.ok(1);
    r.timeout(100);
    assert.deepEqual(f.raw, ['timeout:"15000"', '{"result":1}']);
    assert.equal(f.core.errors.length, 1, "a timeout after the response is reported");
  });

  test("a result that cannot be encoded throws and leaves the request unanswered", () => {
    const f = fixture({});
    const r = new CallRequest(f.init);
    assert.throws(() => r.ok({ n: BigInt(1) }));
    assert.equal(r.replied, false);
  });

  test("new requests answer with a reference", () => {
    const f = fixture({}, { method: "new" });
    const r = new NewRequest(f.init);
    r.newResource("library.book.3");
    assert.deepEqual(f.replies, [{ result: { rid: "library.book.3" } }]);
  });
});

describe("auth requests", () => {
  test("connection details and token events", () => {
    const f = fixture(
      {},
      {
        payload: {
          cid: "abc",
          header: { Authorization: ["Bearer x"] },
          host: "example.com",
          remoteAddr: "127.0.0.1:5000",
          uri: "/ws",
          params: { password: "secret" },
        },
        method: "login",
      },
    );
    const r = new AuthRequest(f.init);
    assert.deepEqual(r.header, { Authorization: ["Bearer x"] });
    assert.equal(r.host, "example.com");
    assert.equal(r.remoteAddr, "127.0.0.1:5000");
    assert.equal(r.uri, "/ws");
    r.tokenEvent({ user: "admin" }, "u1");
    r.ok();
    assert.deepEqual(f.core.published, [
      { subject: "conn.abc.token", payload: { token: { user: "admin" }, tid: "u1" } },
    ]);
    assert.deepEqual(f.replies, [{ result: null }]);
  });

  test("a null token clears it", () => {
    const f = fixture({}, { payload: { cid: "abc" } });
    new AuthRequest(f.init).tokenEvent(null);
    assert.deepEqual(f.core.published, [{ subject: "conn.abc.token", payload: { token: null } }]);
  });

  test("empty details when not sent", () => {
    const r = new AuthRequest(fixture({}).init);
    assert.deepEqual(r.header, {});
    assert.equal(r.host, "");
    assert.equal(r.cid, "");
    assert.throws(() => r.tokenEvent({}), /connection ID/);
  });
});

describe("resource events", () => {
  test("change, add, remove, custom and lifecycle events", () => {
    const f = fixture({});
    const res = new Resource(f.init);
    res.changeEvent({ title: "New", gone: Delete, skipped: undefined });
    res.changeEvent({});
    res.addEvent(0, ref("library.book.9"));
    res.removeEvent(2);
    res.event("notice", { text: "hi" });
    res.event("ping");
    res.reaccessEvent();
    res.createEvent();
    res.deleteEvent();
    res.resetEvent();
    assert.deepEqual(f.core.published, [
      {
        subject: "event.library.book.1.change",
        payload: { values: { title: "New", gone: { action: "delete" } } },
      },
      {
        subject: "event.library.book.1.add",
        payload: { value: { rid: "library.book.9" }, idx: 0 },
      },
      { subject: "event.library.book.1.remove", payload: { idx: 2 } },
      { subject: "event.library.book.1.notice", payload: { text: "hi" } },
      { subject: "event.library.book.1.ping", payload: undefined },
      { subject: "event.library.book.1.reaccess", payload: undefined },
      { subject: "event.library.book.1.create", payload: undefined },
      { subject: "event.library.book.1.delete", payload: undefined },
      { subject: "system.reset", payload: { resources: ["library.book.1"] } },
    ]);
  });

  test("reserved or invalid event names and indexes throw", () => {
    const res = new Resource(fixture({}).init);
    for (const name of ["change", "add", "remove", "delete", "query", "reaccess", "a.b", ""]) {
      assert.throws(() => res.event(name), /reserved|invalid/, name);
    }
    assert.throws(() => res.addEvent(-1, "x"), /idx/);
    assert.throws(() => res.removeEvent(1.5), /idx/);
  });

  test("events are checked against the declared type", () => {
    const model = new Resource(fixture({}, { handler: { type: "model" } }).init);
    assert.throws(() => model.addEvent(0, "x"), /not allowed on models/);
    const coll = new Resource(fixture({}, { handler: { type: "collection" } }).init);
    assert.throws(() => coll.changeEvent({ a: 1 }), /not allowed on collections/);
  });

  test("apply handlers update the store before the event", () => {
    const store = new Map<string, string>([["title", "Old"]]);
    const list: string[] = ["a", "b"];
    const handler: Handler<{ id: string }> = {
      apply: {
        change: (_r, values) => {
          const rev: Record<string, string> = {};
          for (const [k, v] of Object.entries(values)) {
            if (typeof v === "string" && store.get(k) !== v) {
              rev[k] = store.get(k) ?? "";
              store.set(k, v);
            }
          }
          return rev;
        },
        add: (_r, idx, value) => {
          list.splice(idx, 0, typeof value === "string" ? value : JSON.stringify(value));
        },
        remove: (_r, idx) => {
          list.splice(idx, 1);
        },
      },
    };
    const f = fixture({ id: "1" }, { handler });
    const res = new Resource(f.init);
    res.changeEvent({ title: "New" });
    res.changeEvent({ title: "New" });
    res.addEvent(1, "x");
    res.removeEvent(0);
    assert.equal(store.get("title"), "New");
    assert.deepEqual(list, ["x", "b"]);
    assert.deepEqual(
      f.core.published.map((p) => p.subject),
      ["event.library.book.1.change", "event.library.book.1.add", "event.library.book.1.remove"],
      "the unchanged second change sends nothing",
    );
  });
});

describe("query requests", () => {
  test("collects events into one response", () => {
    const f = fixture({}, { query: "limit=2" });
    const q = new QueryRequest(f.init, f.init.responder);
    q.removeEvent(1);
    q.addEvent(0, "first");
    q.changeEvent({});
    q.finish();
    assert.deepEqual(f.replies, [
      {
        result: {
          events: [
            { event: "remove", data: { idx: 1 } },
            { event: "add", data: { value: "first", idx: 0 } },
          ],
        },
      },
    ]);
    assert.deepEqual(f.core.published, [], "query events are not published");
  });

  test("a full model or collection instead of events", () => {
    const f = fixture({});
    const q = new QueryRequest(f.init, f.init.responder);
    q.collection(["a"]);
    q.finish();
    const m = new QueryRequest(f.init, f.init.responder);
    m.model({ a: 1 });
    new QueryRequest(f.init, f.init.responder).notFound();
    new QueryRequest(f.init, f.init.responder).finish();
    assert.deepEqual(f.replies, [
      { result: { collection: ["a"] } },
      { result: { model: { a: 1 } } },
      { error: { code: "system.notFound", message: "Not found" } },
      { result: { events: [] } },
    ]);
  });
});
