/**
 * edit-text end to end: two official resclients edit one shared text through the
 * gateway, and each sees the other's edits live.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MAX_LENGTH, editText } from "../edit-text/service.js";
import { ExampleEnv } from "./support/env.js";
import { EventLog, getModel, resError } from "./support/resclient.js";
import { until, within } from "./support/wait.js";

let env: ExampleEnv;

before(async () => {
  env = await ExampleEnv.start(editText);
});

after(async () => {
  await env.stop();
  assert.deepEqual(env.serviceErrors, []);
});

test("two clients edit the shared text and see each other's edits", async () => {
  const alice = await getModel(await env.client(), "text.shared");
  const bob = await getModel(await env.client(), "text.shared");
  const initial = alice.props["text"];
  assert.equal(typeof initial, "string");
  assert.equal(bob.props["text"], initial);
  const aliceSees = new EventLog(alice, "change");
  const bobSees = new EventLog(bob, "change");

  await within(alice.set({ text: "Hello from Alice" }), 3000, "alice set");
  assert.deepEqual(await bobSees.next(), { text: initial }); // the previous value
  assert.equal(bob.props["text"], "Hello from Alice");
  assert.deepEqual(await aliceSees.next(), { text: initial });

  await within(bob.call("set", { text: "" }), 3000, "bob set"); // empty is a text too
  assert.deepEqual(await aliceSees.next(), { text: "Hello from Alice" });
  assert.equal(alice.props["text"], "");
  await bobSees.next();

  // Edits racing from both sides end the same everywhere.
  await within(
    Promise.all([
      alice.set({ text: "a1" }),
      bob.set({ text: "b1" }),
      alice.set({ text: "a2" }),
      bob.set({ text: "b2" }),
    ]),
    3000,
    "racing edits",
  );
  const third = await getModel(await env.client(), "text.shared");
  const final = third.props["text"];
  assert.ok(final === "a2" || final === "b2", `final text ${String(final)}`);
  await until(
    () => alice.props["text"] === final && bob.props["text"] === final,
    2000,
    "both clients show the final text",
  );

  aliceSees.stop();
  bobSees.stop();
});

test("only set may be called, with a text of at most MAX_LENGTH characters", async () => {
  const shared = await getModel(await env.client(), "text.shared");
  const before = shared.props["text"];

  const notText = await resError(shared.set({ text: 42 }));
  assert.deepEqual(
    [notText.code, notText.message],
    ["system.invalidParams", "Text must be a string"],
  );
  const tooLong = await resError(shared.set({ text: "x".repeat(MAX_LENGTH + 1) }));
  assert.equal(tooLong.code, "system.invalidParams");
  // The access handler allows `set` only.
  assert.equal((await resError(shared.call("clear"))).code, "system.accessDenied");

  await within(shared.set({ text: "x".repeat(MAX_LENGTH) }), 3000, "longest text");
  await within(shared.set({ text: before }), 3000, "restore");
});
