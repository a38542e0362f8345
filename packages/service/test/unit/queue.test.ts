import assert from "node:assert/strict";
import { test } from "node:test";
import { WorkQueues } from "../../src/queue.js";
import { signal, sleep, within } from "../support/wait.js";

test("tasks of one key run in order, async tasks holding the queue", async () => {
  const q = new WorkQueues();
  const log: string[] = [];
  const a = q.run("k", async () => {
    log.push("a start");
    await sleep(20);
    log.push("a end");
  });
  const b = q.run("k", () => {
    log.push("b");
    return 2;
  });
  assert.equal(await b, 2);
  await a;
  assert.deepEqual(log, ["a start", "a end", "b"]);
});

test("different keys run concurrently", async () => {
  const q = new WorkQueues();
  const gate = signal();
  const blocked = q.run("a", () => gate.promise);
  const other = await within(
    q.run("b", () => "done"),
    500,
    "b not blocked by a",
  );
  assert.equal(other, "done");
  gate.resolve();
  await blocked;
});

test("work for the running key from inside it runs inline", async () => {
  const q = new WorkQueues();
  const log: string[] = [];
  await q.run("k", async () => {
    log.push("outer");
    await q.run("k", () => log.push("inner"));
    log.push("after");
  });
  assert.deepEqual(log, ["outer", "inner", "after"]);
  assert.equal(q.isInside("k"), false);
});

test("errors reject the task's promise but not the queue", async () => {
  const q = new WorkQueues();
  await assert.rejects(
    q.run("k", () => {
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.equal(await q.run("k", () => 1), 1);
});

test("idle resolves once every task is done", async () => {
  const q = new WorkQueues();
  let done = false;
  void q.run(undefined, async () => {
    await sleep(20);
    done = true;
  });
  assert.equal(q.size, 1);
  await within(q.idle(), 1000, "idle");
  assert.ok(done);
  assert.equal(q.size, 0);
});
