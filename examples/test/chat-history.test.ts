/**
 * chat-history end to end: a channel's messages are a query collection. What was
 * posted while a client was away comes as history; what is posted next comes live.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  chatHistory,
  normalizeMessagesQuery,
  parseMessagesQuery,
} from "../chat-history/service.js";
import { ExampleEnv } from "./support/env.js";
import {
  EventLog,
  getCollection,
  isResModel,
  resError,
  type ResClient,
  type ResCollection,
} from "./support/resclient.js";
import { within } from "./support/wait.js";

describe("messages queries", () => {
  test("are normalized", () => {
    const normal = (q: string): string => normalizeMessagesQuery(parseMessagesQuery(q));
    assert.equal(normal(""), "limit=50");
    assert.equal(normal("limit=050"), "limit=50");
    assert.equal(normal("limit=10&before=1700000000000"), "before=1700000000000&limit=10");
    assert.equal(normal("before=5"), "before=5&limit=50");
  });

  test("are checked", () => {
    for (const [q, message] of [
      ["limit=0", "limit must be at least 1"],
      ["limit=101", "limit must be at most 100"],
      ["limit=-1", "limit must be a non-negative integer"],
      ["limit=1e3", "limit must be a non-negative integer"],
      ["before=", "before must be a non-negative integer"],
      ["limit=1&limit=2", 'Query parameter "limit" given twice'],
      ["after=3", 'Unknown query parameter "after"'],
    ] as const) {
      assert.throws(() => parseMessagesQuery(q), new Error(message), q);
    }
  });
});

describe("the chat-history example", () => {
  let env: ExampleEnv;

  before(async () => {
    env = await ExampleEnv.start(chatHistory);
  });

  after(async () => {
    await env.stop();
    assert.deepEqual(env.serviceErrors, []);
  });

  async function login(user: string): Promise<ResClient> {
    const client = await env.client();
    await within(
      client.authenticate("chat", "login", { user, password: `${user}-pw` }),
      3000,
      `${user} logs in`,
    );
    return client;
  }

  function post(client: ResClient, channel: string, text: string): Promise<unknown> {
    return within(client.call(`chat.channel.${channel}`, "post", { text }), 3000, `post ${text}`);
  }

  /** The messages of a collection as "from: text". */
  function lines(messages: ResCollection): string[] {
    return messages.toArray().map((m) => {
      assert.ok(isResModel(m));
      return `${String(m.props["from"])}: ${String(m.props["text"])}`;
    });
  }

  function tsAt(messages: ResCollection, idx: number): number {
    const m = messages.atIndex(idx);
    assert.ok(isResModel(m));
    const ts = m.props["ts"];
    assert.equal(typeof ts, "number");
    return Number(ts);
  }

  test("history, then live: B sees what A posted while B was away, then A's next message", async () => {
    const alice = await login("alice");
    for (const text of ["Hi Bob!", "Are you there?", "Call me when you are back."]) {
      await post(alice, "general", text);
    }

    // Bob was offline: he connects, logs in, and gets the latest messages.
    const bob = await login("bob");
    const history = await getCollection(bob, "chat.channel.general.messages?limit=50");
    assert.deepEqual(lines(history), [
      "alice: Hi Bob!",
      "alice: Are you there?",
      "alice: Call me when you are back.",
    ]);

    // A query written differently is the same query once normalized: Carol's
    // collection is the gateway's same resource, and grows live too.
    const carol = await login("carol");
    const carolsView = await getCollection(carol, "chat.channel.general.messages?limit=050");
    assert.equal(carolsView.length, 3);

    const bobAdds = new EventLog(history, "add");
    const carolAdds = new EventLog(carolsView, "add");
    const posted = await post(alice, "general", "Welcome back!");
    assert.ok(typeof posted === "object" && posted !== null && "id" in posted && "ts" in posted);
    assert.equal(posted.id, 4);
    assert.ok(Number(posted.ts) > tsAt(history, 2), "ts increases");
    const added = await bobAdds.next();
    assert.deepEqual(added, { item: history.atIndex(3), idx: 3 });
    assert.equal(lines(history)[3], "alice: Welcome back!");
    assert.deepEqual(await carolAdds.next(), { item: carolsView.atIndex(3), idx: 3 });

    // Bob answers; Alice, who reads the live query too, sees it.
    const aliceView = await getCollection(alice, "chat.channel.general.messages?limit=50");
    const aliceAdds = new EventLog(aliceView, "add");
    await post(bob, "general", "Thanks!");
    await aliceAdds.next();
    assert.deepEqual(lines(aliceView).slice(-2), ["alice: Welcome back!", "bob: Thanks!"]);
    await bobAdds.next();
    for (const log of [bobAdds, carolAdds, aliceAdds]) log.stop();
  });

  test("a short live query slides; an older page stays as it is", async () => {
    const alice = await login("alice");
    await post(alice, "general", "one");
    await post(alice, "general", "two");
    const latest = await getCollection(alice, "chat.channel.general.messages?limit=2");
    assert.deepEqual(lines(latest), ["alice: one", "alice: two"]);
    const page = await getCollection(
      alice,
      `chat.channel.general.messages?before=${tsAt(latest, 1)}&limit=1`,
    );
    assert.deepEqual(lines(page), ["alice: one"]);

    const adds = new EventLog(latest, "add");
    const removes = new EventLog(latest, "remove");
    const pageAdds = new EventLog(page, "add");
    await post(alice, "general", "three");
    // The oldest message leaves, the new one comes last.
    const removed = await removes.next();
    assert.ok(typeof removed === "object" && removed !== null && "idx" in removed);
    assert.equal(removed.idx, 0);
    assert.deepEqual(await adds.next(), { item: latest.atIndex(1), idx: 1 });
    assert.deepEqual(lines(latest), ["alice: two", "alice: three"]);
    assert.deepEqual(lines(page), ["alice: one"]);
    assert.equal(pageAdds.pending, 0);
    for (const log of [adds, removes, pageAdds]) log.stop();
  });

  test("only members read a channel, with a valid query", async () => {
    const anonymous = await env.client();
    const denied = await resError(anonymous.get("chat.channel.general.messages?limit=50"));
    assert.equal(denied.code, "system.accessDenied");
    const wrong = await resError(
      anonymous.authenticate("chat", "login", { user: "bob", password: "guess" }),
    );
    assert.deepEqual([wrong.code, wrong.message], ["chat.wrongPassword", "Wrong user or password"]);

    const bob = await login("bob");
    assert.equal((await resError(bob.get("chat.channel.ops"))).code, "system.accessDenied");
    const ops = await resError(bob.get("chat.channel.ops.messages?limit=50"));
    assert.equal(ops.code, "system.accessDenied");
    assert.equal(
      (await resError(bob.call("chat.channel.ops", "post", { text: "hi" }))).code,
      "system.accessDenied",
    );

    const invalid = await resError(bob.get("chat.channel.general.messages?limit=500"));
    assert.deepEqual(
      [invalid.code, invalid.message],
      ["system.invalidQuery", "limit must be at most 100"],
    );
    const noQuery = await resError(bob.get("chat.channel.general.messages"));
    assert.equal(noQuery.code, "system.invalidQuery");
    const empty = await resError(bob.call("chat.channel.general", "post", { text: " " }));
    assert.deepEqual(
      [empty.code, empty.message],
      ["system.invalidParams", "Text must not be empty"],
    );

    // Alice and Carol are members of ops.
    const carol = await login("carol");
    const opsView = await getCollection(carol, "chat.channel.ops.messages?limit=50");
    const adds = new EventLog(opsView, "add");
    await post(await login("alice"), "ops", "Deploy at noon.");
    await adds.next();
    assert.deepEqual(lines(opsView), ["alice: Deploy at noon."]);
    adds.stop();

    // Logging out takes the channel away at once.
    const gone = new EventLog(opsView, "unsubscribe");
    await within(carol.authenticate("chat", "logout"), 3000, "logout");
    await gone.next();
    gone.stop();
  });
});
