/**
 * The subscription index against a brute-force reference, and the subject helpers.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isValidLiteralSubject, isValidSubject, subjectMatches } from "../src/index.js";
import { Sublist } from "../src/sublist.js";
import { prng } from "./helpers.js";

interface Sub {
  readonly id: number;
  readonly subject: string;
  readonly queue: string | undefined;
}

describe("subjects", () => {
  test("validity", () => {
    for (const s of ["a", "a.b", "a.*", "*.b", "a.>", ">", "*", "a*.b", "a.b>", "é.ü"]) {
      assert.ok(isValidSubject(s), s);
    }
    for (const s of ["", ".", "a.", ".a", "a..b", "a.>.b", ">.a", "a b", "a\tb", "a\r"]) {
      assert.ok(!isValidSubject(s), JSON.stringify(s));
    }
    assert.ok(isValidLiteralSubject("a.b*.c>"));
    for (const s of ["a.*", "a.>", "*", ">"]) assert.ok(!isValidLiteralSubject(s), s);
  });

  test("matching", () => {
    const yes: [string, string][] = [
      ["a.b", "a.b"],
      ["a.b", "a.*"],
      ["a.b", "*.*"],
      ["a.b", "a.>"],
      ["a.b.c", "a.>"],
      ["a.b.c", ">"],
      ["a", ">"],
      ["a.*", "a.*"], // a literal `*` token is matched by `*`
    ];
    const no: [string, string][] = [
      ["a", "a.>"],
      ["a", "a.*"],
      ["a.b.c", "a.*"],
      ["a.b", "a.b.c"],
      ["a.b", "b.*"],
      ["a..b", ">"],
      ["a.*", "a.b"],
    ];
    for (const [s, p] of yes) assert.ok(subjectMatches(s, p), `${s} ~ ${p}`);
    for (const [s, p] of no) assert.ok(!subjectMatches(s, p), `${s} !~ ${p}`);
  });
});

describe("Sublist", () => {
  test("invalid subjects are refused", () => {
    const sl = new Sublist<Sub>();
    assert.equal(sl.insert({ id: 1, subject: "a..b", queue: undefined }), false);
    assert.equal(sl.insert({ id: 2, subject: "a.>.b", queue: undefined }), false);
    assert.equal(sl.count, 0);
  });

  test("queue groups are merged by name across matching subjects", () => {
    const sl = new Sublist<Sub>();
    const subs: Sub[] = [
      { id: 1, subject: "q.*", queue: "g" },
      { id: 2, subject: "q.>", queue: "g" },
      { id: 3, subject: "q.x", queue: "h" },
      { id: 4, subject: "q.x", queue: undefined },
    ];
    for (const s of subs) sl.insert(s);
    const r = sl.match("q.x");
    assert.deepEqual(
      r.psubs.map((s) => s.id),
      [4],
    );
    const groups = r.qsubs.map((g) => g.map((s) => s.id).sort()).sort();
    assert.deepEqual(groups, [[1, 2], [3]]);
  });

  test("matches like a brute-force scan through random inserts and removes", () => {
    const rand = prng(42);
    const int = (n: number) => Math.floor(rand() * n);
    const literal = ["a", "b", "c", "d"];
    const patternTokens = [...literal, "*", ">"];
    const mk = (tokens: string[], maxLen: number) =>
      Array.from({ length: 1 + int(maxLen) }, () => tokens[int(tokens.length)]).join(".");
    // A small cache and scan limit so eviction, scanning and clearing all happen.
    const sl = new Sublist<Sub>(32, 8);
    const live: Sub[] = [];
    let nextId = 1;
    const key = (s: Sub) => s.id;
    for (let step = 0; step < 4000; step++) {
      const r = rand();
      if (r < 0.35 || live.length === 0) {
        const sub: Sub = {
          id: nextId++,
          subject: mk(patternTokens, 4),
          queue: rand() < 0.3 ? (rand() < 0.5 ? "g1" : "g2") : undefined,
        };
        if (sl.insert(sub)) live.push(sub);
        else assert.ok(!isValidSubject(sub.subject), sub.subject);
      } else if (r < 0.6) {
        const i = int(live.length);
        const [sub] = live.splice(i, 1);
        assert.ok(sub !== undefined && sl.remove(sub));
        assert.equal(sl.remove(sub), false, "second remove is a no-op");
      } else {
        const subject = mk(literal, 4);
        const got = sl.match(subject);
        const expected = live.filter((s) => subjectMatches(subject, s.subject));
        assert.deepEqual(
          got.psubs.map(key).sort((x, y) => x - y),
          expected
            .filter((s) => s.queue === undefined)
            .map(key)
            .sort((x, y) => x - y),
          `psubs for ${subject}`,
        );
        const groups = new Map<string, number[]>();
        for (const s of expected) {
          if (s.queue !== undefined) groups.set(s.queue, [...(groups.get(s.queue) ?? []), s.id]);
        }
        assert.deepEqual(
          got.qsubs.map((g) => g.map(key).sort((x, y) => x - y)).sort(),
          [...groups.values()].map((g) => g.sort((x, y) => x - y)).sort(),
          `qsubs for ${subject}`,
        );
      }
      assert.equal(sl.count, live.length);
    }
    for (const s of [...live]) sl.remove(s);
    assert.equal(sl.count, 0);
    assert.ok(sl.isEmpty(), "every node was pruned");
    assert.equal(sl.match("a.b").psubs.length, 0);
  });
});
