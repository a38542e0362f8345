/**
 * book-collection end to end: a real nats-server, the gateway, the library service
 * and its page server, driven by two official resclients.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { bookCollection } from "../book-collection/service.js";
import { ExampleEnv } from "./support/env.js";
import {
  EventLog,
  getCollection,
  getModel,
  isResModel,
  resError,
  type ResModel,
} from "./support/resclient.js";
import { within } from "./support/wait.js";

let env: ExampleEnv;

before(async () => {
  env = await ExampleEnv.start(bookCollection);
});

after(async () => {
  await env.stop();
  assert.deepEqual(env.serviceErrors, []);
});

/** `v` as a model, held (see getModel). */
function model(v: unknown): ResModel {
  assert.ok(isResModel(v), `not a model: ${JSON.stringify(v)}`);
  return v.on();
}

test("the page server serves the page, resclient and where the gateway is", async () => {
  const page = await fetch(env.pageUrl("/"));
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  const html = await page.text();
  assert.match(html, /<script src="\/resclient\.min\.js"><\/script>/);
  assert.match(html, /<script src="\/config\.js"><\/script>/);

  const bundle = await fetch(env.pageUrl("/resclient.min.js"));
  assert.equal(bundle.status, 200);
  assert.match(await bundle.text(), /ResClient/);

  const config = await (await fetch(env.pageUrl("/config.js"))).text();
  assert.ok(config.includes(`:${env.running.gateway.address().port}/`), config);

  assert.equal((await fetch(env.pageUrl("/package.json"))).status, 404);
  assert.equal((await fetch(env.pageUrl("/"), { method: "POST" })).status, 405);
});

test("one client adds, edits and deletes books; the other sees it live", async () => {
  const alice = await env.client();
  const bob = await env.client();
  const books = await getCollection(alice, "library.books");
  const bobBooks = await getCollection(bob, "library.books");
  assert.equal(bobBooks.length, books.length);
  const first = model(bobBooks.atIndex(0));
  assert.deepEqual(first.toJSON(), {
    id: 1,
    title: "The Left Hand of Darkness",
    author: "Ursula K. Le Guin",
  });

  const adds = new EventLog(bobBooks, "add");
  const removes = new EventLog(bobBooks, "remove");

  // Add: the call answers with the new book (a resource response).
  const created = model(
    await within(
      books.call("new", { title: " Piranesi ", author: "Susanna Clarke" }),
      3000,
      "call new",
    ),
  );
  assert.deepEqual(created.toJSON(), { id: 4, title: "Piranesi", author: "Susanna Clarke" });
  assert.deepEqual(await adds.next(), { item: bobBooks.atIndex(3), idx: 3 });
  const bobsCopy = model(bobBooks.atIndex(3));
  assert.equal(bobsCopy.getResourceId(), "library.book.4");
  assert.equal(bobsCopy.props["title"], "Piranesi");

  // Edit: Bob's copy changes (resclient reports the previous values).
  const changes = new EventLog(bobsCopy, "change");
  await within(created.set({ title: "Piranesi (2020)" }), 3000, "call set");
  assert.deepEqual(await changes.next(), { title: "Piranesi" });
  assert.deepEqual(bobsCopy.toJSON(), {
    id: 4,
    title: "Piranesi (2020)",
    author: "Susanna Clarke",
  });
  // Setting the same values again changes nothing and sends no event.
  await within(created.set({ title: "Piranesi (2020)", author: "Susanna Clarke" }), 3000, "set");

  // Delete: Bob's collection loses the book; Alice, subscribed to the book itself by
  // the resource response, gets its delete event (a custom event for resclient 2.5).
  const deleted = new EventLog(created, "delete");
  assert.equal(await within(books.call("delete", { id: 4 }), 3000, "call delete"), null);
  assert.deepEqual(await removes.next(), { item: bobsCopy, idx: 3 });
  assert.equal(bobBooks.length, 3);
  await deleted.next();
  assert.equal(changes.pending, 0);
  const carol = await env.client();
  assert.equal((await resError(carol.get("library.book.4"))).code, "system.notFound");

  for (const log of [adds, removes, changes, deleted]) log.stop();
});

test("invalid parameters are answered with system.invalidParams", async () => {
  const client = await env.client();
  const books = await getCollection(client, "library.books");
  const book = await getModel(client, "library.book.1");
  const length = books.length;

  const cases: [() => Promise<unknown>, string][] = [
    [() => books.call("new", { title: "", author: "Someone" }), "Title must not be empty"],
    [() => books.call("new", { title: "A title", author: 7 }), "Author must be a string"],
    [() => books.call("new", { title: "A title" }), "Author is required"],
    [() => books.call("new"), "Parameters must be an object"],
    [() => book.set({ author: "   " }), "Author must not be empty"],
    [() => books.call("delete", { id: "1" }), "Book ID must be a positive integer"],
  ];
  for (const [request, message] of cases) {
    const err = await resError(request());
    assert.deepEqual(
      { code: err.code, message: err.message },
      { code: "system.invalidParams", message },
    );
  }
  assert.equal((await resError(books.call("delete", { id: 999 }))).code, "system.notFound");
  assert.equal((await resError(client.get("library.book.07"))).code, "system.notFound");
  assert.equal(books.length, length);
  assert.equal(book.props["author"], "Ursula K. Le Guin");
});
