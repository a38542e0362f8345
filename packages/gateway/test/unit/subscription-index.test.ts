// SubscriptionIndex: a connection's subscriptions by rid, an array while small, a Map beyond.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { Subscription } from "../../src/conn/subscription.js";
import { SMALL_INDEX_SIZE, SubscriptionIndex } from "../../src/conn/subscription-index.js";

function fakeSub(rid: string): Subscription {
  return { rid } as Subscription;
}

function rids(index: SubscriptionIndex): string[] {
  return [...index.values()].map((s) => s.rid);
}

describe("SubscriptionIndex", () => {
  for (const n of [3, SMALL_INDEX_SIZE, SMALL_INDEX_SIZE + 5]) {
    test(`${n} subscriptions: found by rid, in the order they were added`, () => {
      const index = new SubscriptionIndex();
      const subs = Array.from({ length: n }, (_, i) => fakeSub(`r.${i}`));
      for (const s of subs) index.set(s);
      assert.equal(index.size, n);
      for (const s of subs) assert.equal(index.get(s.rid), s);
      // An equal string that is not the same string object is found too.
      assert.equal(index.get(["r", "1"].join(".")), subs[1]);
      assert.equal(index.get("r.missing"), undefined);
      assert.deepEqual(
        rids(index),
        subs.map((s) => s.rid),
      );

      assert.equal(index.delete("r.1"), true);
      assert.equal(index.delete("r.1"), false);
      assert.equal(index.get("r.1"), undefined);
      assert.equal(index.size, n - 1);
      assert.deepEqual(
        rids(index),
        subs.filter((s) => s.rid !== "r.1").map((s) => s.rid),
      );

      const again = fakeSub("r.0");
      index.set(again);
      assert.equal(index.get("r.0"), again, "set replaces");
      assert.equal(index.size, n - 1);

      index.clear();
      assert.equal(index.size, 0);
      assert.deepEqual(rids(index), []);
      assert.equal(index.get("r.2"), undefined);
    });
  }

  test("deleting while iterating over values() skips nothing", () => {
    const index = new SubscriptionIndex();
    for (let i = 0; i < 5; i++) index.set(fakeSub(`r.${i}`));
    const seen: string[] = [];
    for (const s of index.values()) {
      seen.push(s.rid);
      index.delete(s.rid);
    }
    assert.deepEqual(seen, ["r.0", "r.1", "r.2", "r.3", "r.4"]);
    assert.equal(index.size, 0);
  });
});
