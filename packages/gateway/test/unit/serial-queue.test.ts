// SerialQueue: callbacks run one at a time, in order, never re-entrantly.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { SerialQueue } from "../../src/util/serial-queue.js";

function noErrors(): SerialQueue {
  return new SerialQueue((err) => assert.fail(`unexpected error: ${String(err)}`), undefined);
}

describe("SerialQueue", () => {
  test("a callback queued on an idle queue runs at once", () => {
    const q = noErrors();
    let ran = false;
    q.enqueue(() => (ran = true));
    assert.equal(ran, true);
  });

  test("callbacks run in the order they were queued", () => {
    const q = noErrors();
    const order: number[] = [];
    for (let i = 0; i < 5; i++) q.enqueue(() => order.push(i));
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  test("a callback queued from inside a callback runs after it, not inside it", () => {
    const q = noErrors();
    const log: string[] = [];
    q.enqueue(() => {
      log.push("a start");
      q.enqueue(() => {
        log.push("b start");
        q.enqueue(() => log.push("d"));
        log.push("b end");
      });
      q.enqueue(() => log.push("c"));
      log.push("a end");
    });
    assert.deepEqual(log, ["a start", "a end", "b start", "b end", "c", "d"]);
  });

  test("nothing ever runs while another callback is running", () => {
    const q = noErrors();
    let depth = 0;
    let maxDepth = 0;
    let count = 0;
    const work = (n: number) => () => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      count++;
      if (n > 0) {
        q.enqueue(work(n - 1));
        q.enqueue(work(n - 1));
      }
      depth--;
    };
    q.enqueue(work(6));
    assert.equal(maxDepth, 1);
    assert.equal(count, 127);
  });

  test("an exception goes to onError and later callbacks still run", () => {
    const errors: unknown[] = [];
    const q = new SerialQueue((err) => errors.push(err), undefined);
    const log: string[] = [];
    const boom = new Error("boom");
    q.enqueue(() => {
      log.push("a");
      q.enqueue(() => {
        log.push("b");
        throw boom;
      });
      q.enqueue(() => log.push("c"));
    });
    assert.deepEqual(log, ["a", "b", "c"]);
    assert.deepEqual(errors, [boom]);
  });

  test("an exception in the first callback does not stop the ones it queued", () => {
    const errors: unknown[] = [];
    const q = new SerialQueue((err) => errors.push(err), undefined);
    const log: string[] = [];
    q.enqueue(() => {
      q.enqueue(() => log.push("after"));
      throw new Error("first");
    });
    assert.deepEqual(log, ["after"]);
    assert.equal(errors.length, 1);
  });

  test("the queue keeps working after an exception", () => {
    const errors: unknown[] = [];
    const q = new SerialQueue((err) => errors.push(err), undefined);
    q.enqueue(() => {
      throw new Error("x");
    });
    const log: string[] = [];
    q.enqueue(() => log.push("later"));
    q.enqueue(() => {
      q.enqueue(() => log.push("nested"));
    });
    assert.deepEqual(log, ["later", "nested"]);
    assert.equal(errors.length, 1);
  });

  test("non-Error throws are reported as thrown", () => {
    const errors: unknown[] = [];
    const q = new SerialQueue((err) => errors.push(err), undefined);
    q.enqueue(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw "a string";
    });
    assert.deepEqual(errors, ["a string"]);
  });

  test("every callback runs exactly once", () => {
    const q = noErrors();
    const counts = new Map<number, number>();
    for (let i = 0; i < 3; i++) {
      q.enqueue(() => {
        counts.set(i, (counts.get(i) ?? 0) + 1);
        if (i === 0) q.enqueue(() => counts.set(10, (counts.get(10) ?? 0) + 1));
      });
    }
    assert.deepEqual(
      [...counts.entries()].sort((a, b) => a[0] - b[0]),
      [
        [0, 1],
        [1, 1],
        [2, 1],
        [10, 1],
      ],
    );
  });
});
