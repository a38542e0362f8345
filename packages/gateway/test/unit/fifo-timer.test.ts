// FifoTimer: one shared duration, one timer, entries fire in the order they were added.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FifoTimer } from "../../src/util/fifo-timer.js";

const DURATION = 20;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `cond` holds, at most `ms`. */
async function until(cond: () => boolean, ms = 1000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}

describe("FifoTimer", () => {
  test("an entry fires once, not before the duration has passed", async () => {
    const timer = new FifoTimer(DURATION);
    const added = Date.now();
    const fired: number[] = [];
    const e = timer.add(() => fired.push(Date.now()));
    assert.equal(e.done, false);
    assert.equal(fired.length, 0, "fired synchronously");
    await until(() => fired.length > 0);
    assert.ok((fired[0] ?? 0) - added >= DURATION, `fired after ${(fired[0] ?? 0) - added} ms`);
    assert.equal(e.done, true);
    await sleep(DURATION * 2);
    assert.equal(fired.length, 1, "fired more than once");
  });

  test("entries fire in the order they were added", async () => {
    const timer = new FifoTimer(DURATION);
    const order: number[] = [];
    for (let i = 0; i < 10; i++) {
      timer.add(() => order.push(i));
      if (i % 3 === 0) await sleep(3);
    }
    await until(() => order.length === 10);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("each entry waits the full duration from when it was added", async () => {
    const timer = new FifoTimer(DURATION);
    const addedAt: number[] = [];
    const firedAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      addedAt.push(Date.now());
      timer.add(() => (firedAt[i] = Date.now()));
      await sleep(DURATION / 2);
    }
    await until(() => firedAt.length === 3 && firedAt.every((t) => t !== undefined));
    for (let i = 0; i < 3; i++) {
      const waited = (firedAt[i] ?? 0) - (addedAt[i] ?? 0);
      assert.ok(waited >= DURATION, `entry ${i} fired after ${waited} ms`);
    }
  });

  test("a cancelled entry never fires; the others still do", async () => {
    const timer = new FifoTimer(DURATION);
    const fired: string[] = [];
    const a = timer.add(() => fired.push("a"));
    const b = timer.add(() => fired.push("b"));
    const c = timer.add(() => fired.push("c"));
    assert.equal(timer.cancel(a), true);
    assert.equal(timer.cancel(c), true);
    assert.equal(a.done, true);
    await until(() => fired.length === 1);
    await sleep(DURATION * 2);
    assert.deepEqual(fired, ["b"]);
    assert.equal(b.done, true);
  });

  test("an entry lets go of its callback once cancelled or fired", async () => {
    const timer = new FifoTimer(DURATION);
    const a = timer.add(() => undefined);
    const b = timer.add(() => undefined);
    timer.cancel(a);
    // Still queued until its deadline, but no longer holding what the callback holds.
    assert.equal(a.fire, undefined);
    await until(() => b.done);
    assert.equal(b.fire, undefined);
  });

  test("cancel returns false when the entry was already cancelled or has fired", async () => {
    const timer = new FifoTimer(DURATION);
    let fired = 0;
    const a = timer.add(() => fired++);
    const b = timer.add(() => fired++);
    assert.equal(timer.cancel(a), true);
    assert.equal(timer.cancel(a), false);
    await until(() => fired === 1);
    assert.equal(timer.cancel(b), false);
  });

  test("cancelling every entry leaves nothing to fire", async () => {
    const timer = new FifoTimer(DURATION);
    let fired = 0;
    const entries = Array.from({ length: 5 }, () => timer.add(() => fired++));
    for (const e of entries) assert.equal(timer.cancel(e), true);
    await sleep(DURATION * 3);
    assert.equal(fired, 0);
  });

  test("the timer works again after it has gone idle", async () => {
    const timer = new FifoTimer(DURATION);
    const fired: string[] = [];
    timer.add(() => fired.push("first"));
    await until(() => fired.length === 1);
    await sleep(DURATION);
    timer.add(() => fired.push("second"));
    await until(() => fired.length === 2);
    assert.deepEqual(fired, ["first", "second"]);
  });

  test("an entry added from inside the callback of the last entry fires too", {}, async () => {
    const timer = new FifoTimer(DURATION);
    const fired: string[] = [];
    timer.add(() => {
      fired.push("outer");
      timer.add(() => fired.push("inner"));
    });
    await until(() => fired.length === 2, 500);
    assert.deepEqual(fired, ["outer", "inner"]);
  });

  test("an entry added from inside a callback fires when other entries are queued", async () => {
    const timer = new FifoTimer(DURATION);
    const fired: string[] = [];
    timer.add(() => {
      fired.push("outer");
      timer.add(() => fired.push("inner"));
    });
    timer.add(() => fired.push("second"));
    await until(() => fired.length === 3);
    assert.deepEqual(fired, ["outer", "second", "inner"]);
  });

  test("entries added after an entry was lost from inside a callback still fire", async () => {
    const timer = new FifoTimer(DURATION);
    const fired: string[] = [];
    timer.add(() => {
      fired.push("outer");
      timer.add(() => fired.push("inner"));
    });
    await until(() => fired.includes("outer"));
    await sleep(DURATION);
    timer.add(() => fired.push("later"));
    await until(() => fired.includes("later"));
  });

  test("a callback may cancel a later entry", async () => {
    const timer = new FifoTimer(DURATION);
    const fired: string[] = [];
    const holder: { b?: ReturnType<FifoTimer["add"]> } = {};
    timer.add(() => {
      fired.push("a");
      if (holder.b) assert.equal(timer.cancel(holder.b), true);
    });
    holder.b = timer.add(() => fired.push("b"));
    timer.add(() => fired.push("c"));
    await until(() => fired.length === 2);
    await sleep(DURATION);
    assert.deepEqual(fired, ["a", "c"]);
  });

  test("clear cancels everything and the timer can be used afterwards", async () => {
    const timer = new FifoTimer(DURATION);
    const fired: string[] = [];
    const a = timer.add(() => fired.push("a"));
    timer.add(() => fired.push("b"));
    timer.clear();
    assert.equal(a.done, true);
    assert.equal(timer.cancel(a), false);
    await sleep(DURATION * 2);
    assert.equal(fired.length, 0);
    timer.add(() => fired.push("c"));
    await until(() => fired.length === 1);
    assert.deepEqual(fired, ["c"]);
  });

  test("a zero duration fires asynchronously, in order", async () => {
    const timer = new FifoTimer(0);
    const fired: number[] = [];
    timer.add(() => fired.push(1));
    timer.add(() => fired.push(2));
    assert.equal(fired.length, 0);
    await until(() => fired.length === 2);
    assert.deepEqual(fired, [1, 2]);
  });
});
