// Throttle: at most `limit` tasks running; queued tasks start in order as others finish.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Throttle } from "../../src/cache/throttle.js";

/** Lets queued microtasks (and the tasks the throttle starts with them) run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("Throttle", () => {
  test("tasks under the limit start at once", () => {
    const t = new Throttle(3);
    const started: number[] = [];
    for (let i = 0; i < 3; i++) t.add(() => started.push(i));
    assert.deepEqual(started, [0, 1, 2]);
  });

  test("tasks over the limit wait until a running task is done", async () => {
    const t = new Throttle(2);
    const started: number[] = [];
    for (let i = 0; i < 5; i++) t.add(() => started.push(i));
    assert.deepEqual(started, [0, 1]);
    await flush();
    assert.deepEqual(started, [0, 1], "a queued task started without done()");

    t.done();
    await flush();
    assert.deepEqual(started, [0, 1, 2]);

    t.done();
    t.done();
    await flush();
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
  });

  test("never more than `limit` tasks run at once", async () => {
    const limit = 3;
    const t = new Throttle(limit);
    let running = 0;
    let max = 0;
    let finished = 0;
    const total = 20;
    for (let i = 0; i < total; i++) {
      t.add(() => {
        running++;
        max = Math.max(max, running);
        setTimeout(
          () => {
            running--;
            finished++;
            t.done();
          },
          1 + (i % 4),
        );
      });
    }
    const deadline = Date.now() + 2000;
    while (finished < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(finished, total);
    assert.equal(max, limit);
    assert.equal(running, 0);
  });

  test("queued tasks start in the order they were added", async () => {
    const t = new Throttle(1);
    const order: string[] = [];
    t.add(() => order.push("a"));
    t.add(() => order.push("b"));
    t.add(() => order.push("c"));
    t.add(() => order.push("d"));
    for (let i = 0; i < 3; i++) {
      t.done();
      await flush();
    }
    assert.deepEqual(order, ["a", "b", "c", "d"]);
  });

  test("after everything is done, new tasks start at once again", async () => {
    const t = new Throttle(1);
    const started: string[] = [];
    t.add(() => started.push("a"));
    t.add(() => started.push("b"));
    t.done();
    await flush();
    t.done();
    t.add(() => started.push("c"));
    assert.deepEqual(started, ["a", "b", "c"]);
  });

  test("a task queued from inside a running task waits its turn", async () => {
    const t = new Throttle(1);
    const order: string[] = [];
    t.add(() => {
      order.push("a");
      t.add(() => order.push("b"));
    });
    assert.deepEqual(order, ["a"]);
    t.done();
    await flush();
    assert.deepEqual(order, ["a", "b"]);
  });

  test("a done() with nothing running does not let extra tasks through", () => {
    const t = new Throttle(1);
    t.done();
    const started: string[] = [];
    t.add(() => started.push("a"));
    t.add(() => started.push("b"));
    assert.deepEqual(started, ["a"]);
  });
});
