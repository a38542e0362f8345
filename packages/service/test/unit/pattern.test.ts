import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Router,
  Service,
  requestSubjects,
  silentLogger,
  type PathParams,
} from "../../src/index.js";
import { parseGroup, parsePattern, subjectCovers } from "../../src/pattern.js";

/** Compile-time type equality. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(v: T): void {
  assert.equal(v, true);
}

const noop = (): void => undefined;

describe("path parameter types", () => {
  test("are extracted from the pattern string", () => {
    assertType<Equal<PathParams<"book.$id">, { id: string }>>(true);
    assertType<Equal<PathParams<"user.$uid.book.$id">, { uid: string; id: string }>>(true);
    assertType<Equal<PathParams<"books">, Record<never, string>>>(true);
    assertType<Equal<PathParams<"a.*.>">, Record<never, string>>>(true);
    assertType<Equal<PathParams<string>, Record<string, string>>>(true);
  });

  test("reach handlers, including group prefix parameters", () => {
    const s = new Service("library", { logger: silentLogger });
    s.handle("book.$id", {
      get: (r) => {
        assertType<Equal<typeof r.pathParams, { id: string }>>(true);
        r.model({ id: r.pathParams.id });
      },
    });
    s.group("user.$uid", (g) => {
      g.handle("book.$bookId", {
        call: {
          read: (r) => {
            assertType<Equal<typeof r.pathParams, { uid: string; bookId: string }>>(true);
            r.ok(r.pathParams.uid + r.pathParams.bookId);
          },
        },
      });
    });
    assert.deepEqual(s.match("library.user.7.book.9")?.pathParams, { uid: "7", bookId: "9" });
  });
});

describe("matching", () => {
  const s = new Service("library", { logger: silentLogger });
  s.handle("", { get: noop });
  s.handle("books", { get: noop });
  s.handle("book.$id", { get: noop });
  s.handle("book.$id.title", { get: noop });
  s.handle("book.special", { get: noop });
  s.handle("shelf.*.>", { get: noop });
  s.handle("data.>", { get: noop });
  s.handle("data.fixed", { get: noop });

  const pattern = (rname: string): string | undefined => s.match(rname)?.pattern;

  test("literal parts, placeholders and tails", () => {
    assert.equal(pattern("library"), "");
    assert.equal(pattern("library.books"), "books");
    assert.equal(pattern("library.book.42"), "book.$id");
    assert.equal(pattern("library.book.42.title"), "book.$id.title");
    assert.equal(pattern("library.shelf.a.b"), "shelf.*.>");
    assert.equal(pattern("library.shelf.a.b.c"), "shelf.*.>");
    assert.equal(pattern("library.data.x.y"), "data.>");
  });

  test("literal parts win over placeholders, placeholders over tails", () => {
    assert.equal(pattern("library.book.special"), "book.special");
    assert.equal(pattern("library.data.fixed"), "data.fixed");
  });

  test("backtracks from a literal part to a placeholder", () => {
    assert.equal(pattern("library.book.special.title"), "book.$id.title");
    assert.deepEqual(s.match("library.book.special.title")?.pathParams, { id: "special" });
  });

  test("misses", () => {
    assert.equal(s.match("library.shelf.a"), undefined, "> needs one part at least");
    assert.equal(s.match("library.book"), undefined);
    assert.equal(s.match("library.book.1.author"), undefined);
    assert.equal(s.match("other.books"), undefined);
    assert.equal(s.match("librarybooks"), undefined);
    assert.equal(s.match("library."), undefined);
  });

  test("the queue key is the resource name by default", () => {
    assert.equal(s.match("library.book.42")?.group, "library.book.42");
  });

  test("a service without a name matches every resource", () => {
    const any = new Service("", { logger: silentLogger });
    any.handle("a.$x", { get: noop });
    assert.deepEqual(any.match("a.b")?.pathParams, { x: "b" });
    assert.equal(any.match("b.b"), undefined);
  });
});

describe("groups and queues", () => {
  test("group tags build the queue key from path parameters", () => {
    const s = new Service("library", { logger: silentLogger });
    s.handle("book.$id.page.$n", { get: noop, group: "book.${id}" });
    s.handle("author.$id", { get: noop, group: "authors" });
    s.handle("free.$id", { get: noop, parallel: true });
    assert.equal(s.match("library.book.1.page.2")?.group, "book.1");
    assert.equal(s.match("library.author.3")?.group, "authors");
    assert.equal(s.match("library.free.3")?.group, undefined);
  });

  test("bad group tags throw", () => {
    const s = new Service("library", { logger: silentLogger });
    assert.throws(() => s.handle("book.$id", { get: noop, group: "${nope}" }), /not found/);
    assert.throws(() => s.handle("book.$id", { get: noop, group: "${id" }), /end of group/);
    assert.throws(() => s.handle("b.$id", { get: noop, group: "x", parallel: true }), /both/);
  });

  test("groups register under a prefix", () => {
    const s = new Service("library", { logger: silentLogger });
    const v2 = s.group("v2");
    v2.handle("books", { get: noop });
    v2.group("shelf.$shelf").handle("book.$id", { get: noop });
    assert.equal(s.match("library.v2.books")?.pattern, "v2.books");
    assert.deepEqual(s.match("library.v2.shelf.a.book.b")?.pathParams, { shelf: "a", id: "b" });
  });

  test("mounted routers, including handlers added after mounting", () => {
    const s = new Service("library", { logger: silentLogger });
    const sub = new Router();
    sub.handle("item.$id", { get: noop, group: "item.${id}" });
    s.mount("store.v1", sub);
    sub.handle("", { get: noop });
    sub.handle("late.$x", { get: noop });
    assert.deepEqual(s.match("library.store.v1.item.5")?.pathParams, { id: "5" });
    assert.equal(s.match("library.store.v1.item.5")?.group, "item.5");
    assert.equal(s.match("library.store.v1")?.pattern, "");
    assert.deepEqual(s.match("library.store.v1.late.y")?.pathParams, { x: "y" });
    assert.throws(() => s.mount("other", sub), /already mounted/);
    assert.throws(() => s.mount("store.v1", new Router()), /already in use/);
    assert.throws(() => s.mount("a.$b", new Router()), /invalid mount path/);
  });

  test("mounting under a group prefix", () => {
    const s = new Service("library", { logger: silentLogger });
    const sub = new Router();
    sub.handle("x.$id", { get: noop });
    s.group("fixed").mount("sub", sub);
    assert.deepEqual(s.match("library.fixed.sub.x.1")?.pathParams, { id: "1" });
  });
});

describe("pattern validation", () => {
  const s = new Service("library", { logger: silentLogger });
  for (const bad of ["a..b", "a.>.b", "a.$", "a.b*", "a.$x.$x", ".a", "a.", "a?b", "a b"]) {
    test(`rejects "${bad}"`, () => {
      assert.throws(() => s.handle(bad, { get: noop }), /invalid pattern/);
    });
  }
  test("rejects a pattern registered twice", () => {
    s.handle("twice.$a", { get: noop });
    assert.throws(() => s.handle("twice.$b", { get: noop }), /already registered/);
  });
  test("rejects invalid method names", () => {
    assert.throws(() => s.handle("m", { call: { "a.b": noop } }), /invalid call method/);
  });
  test("rejects invalid service names", () => {
    assert.throws(() => new Service("a.*"), /invalid service name/);
    assert.throws(() => new Service("a..b"), /invalid service name/);
  });
  test("parses tokens and groups", () => {
    assert.deepEqual(parsePattern("a.$b.*.>"), [
      { kind: "literal", value: "a" },
      { kind: "param", name: "b" },
      { kind: "wildcard" },
      { kind: "tail" },
    ]);
    assert.deepEqual(parseGroup("g.${b}-x", parsePattern("a.$b")), [
      { literal: "g." },
      { paramIndex: 1 },
      { literal: "-x" },
    ]);
  });
});

describe("subscriptions", () => {
  test("subject cover", () => {
    assert.ok(subjectCovers("call.a.>", "call.a.*"));
    assert.ok(subjectCovers("call.a.>", "call.a.b.c"));
    assert.ok(subjectCovers("a.*", "a.b"));
    assert.ok(!subjectCovers("a.*", "a.>"));
    assert.ok(!subjectCovers("a.>", "a"));
    assert.ok(!subjectCovers("a.b", "a.*"));
  });

  test("request subjects of the owned patterns", () => {
    assert.deepEqual(requestSubjects(["library.>"], ["library.>"]), [
      "get.library.>",
      "call.library.>",
      "auth.library.>",
      "access.library.>",
    ]);
    assert.deepEqual(requestSubjects(["library", "library.>"], []), [
      "get.library",
      "get.library.>",
      "call.library.>",
      "auth.library.>",
    ]);
  });
});
