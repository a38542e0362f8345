// collectionDiff: the add/remove steps Resgate sends when a collection is replaced
// (system.reset, query events). Exact cases come from Resgate's tests; a seeded
// property test checks the steps against a brute-force LCS.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { parseValue, type Value } from "@resgate-ts/protocol";
import { collectionDiff, type CollectionStep } from "../../src/cache/lcs.js";

function value(v: unknown): Value {
  const r = parseValue(v);
  if (!r.ok) assert.fail(`invalid value ${JSON.stringify(v)}: ${r.error.message}`);
  return r.value;
}

function values(list: readonly unknown[]): Value[] {
  return list.map(value);
}

/** The steps as Resgate's client events: [event, data JSON]. */
function asEvents(steps: readonly CollectionStep[]): [string, string][] {
  return steps.map((s) =>
    s.op === "remove"
      ? ["remove", `{"idx":${s.idx}}`]
      : ["add", `{"idx":${s.idx},"value":${s.value.json}}`],
  );
}

function apply(list: readonly Value[], steps: readonly CollectionStep[]): Value[] {
  const out = [...list];
  for (const s of steps) {
    if (s.op === "remove") {
      assert.ok(s.idx >= 0 && s.idx < out.length, `remove idx ${s.idx} out of range`);
      out.splice(s.idx, 1);
    } else {
      assert.ok(s.idx >= 0 && s.idx <= out.length, `add idx ${s.idx} out of range`);
      out.splice(s.idx, 0, s.value);
    }
  }
  return out;
}

function sameList(a: readonly Value[], b: readonly Value[]): boolean {
  return a.length === b.length && a.every((v, i) => v.json === b[i]?.json && v.type === b[i]?.type);
}

describe("collectionDiff: Resgate's cases", () => {
  // [old collection, new collection, expected events]
  const cases: readonly [string, unknown[], unknown[], [string, string][]][] = [
    // TestSystemReset_WithUpdatedResource_GeneratesEvents (test/11system_event_test.go)
    ["reset: unchanged", ["foo", 42, true, null], ["foo", 42, true, null], []],
    [
      "reset: first moved and one added",
      ["foo", 42, true, null],
      [42, "new", true, null],
      [
        ["remove", '{"idx":0}'],
        ["add", '{"idx":1,"value":"new"}'],
      ],
    ],
    [
      "reset: soft reference appended",
      ["foo", 42, true, null],
      ["foo", 42, true, null, { rid: "test.model", soft: true }],
      [["add", '{"idx":4,"value":{"rid":"test.model","soft":true}}']],
    ],
    [
      "reset: soft reference removed",
      ["soft", { rid: "test.collection", soft: true }],
      ["soft"],
      [["remove", '{"idx":1}']],
    ],
    // TestQueryEvent_CollectionResponse_CausesAddRemoveEvents (test/13query_event_test.go)
    [
      "query event: collection response",
      ["foo", 42, true, null],
      ["foo", "bar", 42, true],
      [
        ["remove", '{"idx":3}'],
        ["add", '{"idx":1,"value":"bar"}'],
      ],
    ],
  ];
  for (const [name, a, b, expected] of cases) {
    test(name, () => {
      const steps = collectionDiff(values(a), values(b));
      assert.deepEqual(asEvents(steps), expected);
      assert.ok(sameList(apply(values(a), steps), values(b)));
    });
  }
});

describe("collectionDiff: edge cases", () => {
  test("two empty collections", () => {
    assert.deepEqual(collectionDiff([], []), []);
  });

  test("from empty: adds in order", () => {
    assert.deepEqual(asEvents(collectionDiff([], values(["a", "b"]))), [
      ["add", '{"idx":0,"value":"a"}'],
      ["add", '{"idx":1,"value":"b"}'],
    ]);
  });

  test("to empty: removes from the end backwards", () => {
    assert.deepEqual(asEvents(collectionDiff(values(["a", "b", "c"]), [])), [
      ["remove", '{"idx":2}'],
      ["remove", '{"idx":1}'],
      ["remove", '{"idx":0}'],
    ]);
  });

  test("a primitive and a data value of that primitive are equal", () => {
    assert.deepEqual(collectionDiff(values([42, "x"]), values([{ data: 42 }, "x"])), []);
  });

  test("a reference and a soft reference to the same resource differ", () => {
    assert.deepEqual(
      asEvents(collectionDiff(values([{ rid: "a.b" }]), values([{ rid: "a.b", soft: true }]))),
      [
        ["remove", '{"idx":0}'],
        ["add", '{"idx":0,"value":{"rid":"a.b","soft":true}}'],
      ],
    );
  });

  test("the string 42 and the number 42 differ", () => {
    assert.equal(collectionDiff(values(["42"]), values([42])).length, 2);
  });

  test("the input lists are not modified", () => {
    const a = values(["a", "b", "c"]);
    const b = values(["c", "a"]);
    const a0 = a.map((v) => v.json);
    const b0 = b.map((v) => v.json);
    collectionDiff(a, b);
    assert.deepEqual(
      a.map((v) => v.json),
      a0,
    );
    assert.deepEqual(
      b.map((v) => v.json),
      b0,
    );
  });
});

/** mulberry32: a small seeded PRNG, so that failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Length of the longest common subsequence, by trying every subsequence of a. */
function bruteForceLcs(a: readonly Value[], b: readonly Value[]): number {
  const eq = (x: Value, y: Value) => x.type === y.type && x.json === y.json;
  let best = 0;
  for (let mask = 0; mask < 1 << a.length; mask++) {
    const sub = a.filter((_, i) => (mask & (1 << i)) !== 0);
    if (sub.length <= best) continue;
    // Greedy matching decides whether sub is a subsequence of b.
    let j = 0;
    for (const v of b) if (j < sub.length && eq(v, sub[j] as Value)) j++;
    if (j === sub.length) best = sub.length;
  }
  return best;
}

describe("collectionDiff: property test", () => {
  const alphabet: readonly unknown[] = [
    "a",
    "b",
    "c",
    1,
    null,
    { rid: "x.y" },
    { rid: "x.y", soft: true },
    { data: { a: 1 } },
  ];
  const pool = values(alphabet);

  test("500 random pairs: the steps turn a into b, and their number is |a|+|b|-2*LCS", () => {
    const rnd = prng(0x5eed1);
    for (let n = 0; n < 500; n++) {
      // A smaller alphabet in some rounds gives many equal values.
      const k = 2 + Math.floor(rnd() * (pool.length - 1));
      const list = () =>
        Array.from({ length: Math.floor(rnd() * 9) }, () => pool[Math.floor(rnd() * k)] as Value);
      const a = list();
      const b = list();
      const label = `#${n}: ${JSON.stringify(a.map((v) => v.json))} -> ${JSON.stringify(b.map((v) => v.json))}`;

      const steps = collectionDiff(a, b);
      assert.ok(sameList(apply(a, steps), b), `${label}: applying the steps does not give b`);
      const lcs = bruteForceLcs(a, b);
      assert.equal(steps.length, a.length + b.length - 2 * lcs, `${label}: step count`);

      // Removes come first, from the end backwards; then adds, in ascending order.
      const firstAdd = steps.findIndex((s) => s.op === "add");
      const removes = firstAdd === -1 ? steps : steps.slice(0, firstAdd);
      const adds = firstAdd === -1 ? [] : steps.slice(firstAdd);
      assert.ok(
        adds.every((s) => s.op === "add"),
        `${label}: a remove after an add`,
      );
      for (let i = 1; i < removes.length; i++) {
        assert.ok((removes[i]?.idx ?? -1) < (removes[i - 1]?.idx ?? -1), `${label}: remove order`);
      }
      for (let i = 1; i < adds.length; i++) {
        assert.ok((adds[i]?.idx ?? -1) > (adds[i - 1]?.idx ?? -1), `${label}: add order`);
      }
    }
  });
});
