// The idle collector's policy: collect once much has been allocated and the heap has
// stopped growing; never while allocation goes on, never after little allocation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IdleGcPolicy } from "../../src/util/idle-gc.js";

const MB = 1024 * 1024;

test("collects when much was allocated and the heap then stays quiet", () => {
  const p = new IdleGcPolicy(50 * MB, 64 * MB, 1 * MB);
  assert.equal(p.sample(100 * MB), false, "growing, and not yet worthwhile");
  assert.equal(p.sample(200 * MB), false, "worthwhile, but still growing fast");
  assert.equal(p.sample(200.5 * MB), true, "quiet now");
  p.collected(60 * MB);
  assert.equal(p.sample(60.5 * MB), false, "little allocated since");
});

test("never collects after little allocation", () => {
  const p = new IdleGcPolicy(50 * MB, 64 * MB, 1 * MB);
  for (let heap = 50 * MB; heap < 110 * MB; heap += 2 * MB) {
    assert.equal(p.sample(heap), false);
    assert.equal(p.sample(heap), false, "quiet, but not worthwhile");
  }
});

test("allocation is summed across V8's own collections", () => {
  const p = new IdleGcPolicy(100 * MB, 64 * MB, 1 * MB);
  assert.equal(p.sample(140 * MB), false, "40 MB allocated");
  assert.equal(p.sample(90 * MB), false, "V8 collected");
  assert.equal(p.sample(120 * MB), false, "70 MB allocated, still growing");
  assert.equal(p.sample(120 * MB), true, "quiet");
});

test("a gateway that keeps allocating is never interrupted", () => {
  const p = new IdleGcPolicy(50 * MB, 64 * MB, 1 * MB);
  let heap = 50 * MB;
  for (let i = 0; i < 200; i++) {
    heap = heap > 400 * MB ? 100 * MB : heap + 3 * MB; // V8 collects now and then
    assert.equal(p.sample(heap), false);
  }
});

test("values the cache let go of make a collection worthwhile", () => {
  const p = new IdleGcPolicy(50 * MB, 64 * MB, 1 * MB, 16 * MB);
  assert.equal(p.sample(50 * MB, 10 * MB), false, "10 MB released");
  assert.equal(p.sample(50 * MB, 30 * MB), true, "30 MB released, and quiet");
  p.collected(20 * MB);
  assert.equal(p.sample(20 * MB, 30 * MB), false, "nothing new released");
  assert.equal(p.sample(20 * MB, 40 * MB), false, "10 MB more");
  assert.equal(p.sample(25 * MB, 50 * MB), false, "20 MB more, but not quiet");
  assert.equal(p.sample(25 * MB, 50 * MB), true, "quiet");
});

test("with a large live heap, collections need proportionally more garbage", () => {
  const p = new IdleGcPolicy(0, 64 * MB, 1 * MB, 16 * MB);
  assert.equal(p.sample(1100 * MB), false, "growing");
  assert.equal(p.sample(1100 * MB), true, "quiet");
  p.collected(1000 * MB); // a gigabyte is live
  assert.equal(p.sample(1500 * MB, 100 * MB), false, "500 MB allocated, 100 MB released");
  assert.equal(p.sample(1500 * MB, 100 * MB), false, "quiet, but less than the live heap");
  assert.equal(p.sample(2100 * MB, 100 * MB), false, "1.1 GB allocated, growing");
  assert.equal(p.sample(2100 * MB, 100 * MB), true, "quiet, and more than the live heap");
  p.collected(1000 * MB);
  assert.equal(p.sample(1000 * MB, 300 * MB), false, "200 MB released: under a quarter");
  assert.equal(p.sample(1000 * MB, 400 * MB), true, "300 MB released: over a quarter");
});
