// Connection IDs: xid-shaped, 20 characters of base32hex, unique.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { newCid } from "../../src/util/cid.js";

const ALPHABET = "0123456789abcdefghijklmnopqrstuv";

/** Decodes a 20-character base32hex ID back into its 12 bytes. */
function decode(cid: string): Buffer {
  let bits = 0;
  let value = 0n;
  for (const ch of cid) {
    const v = ALPHABET.indexOf(ch);
    assert.ok(v >= 0, `invalid character ${ch}`);
    value = (value << 5n) | BigInt(v);
    bits += 5;
  }
  // 100 bits were read; the 96-bit ID is at the top.
  value >>= BigInt(bits - 96);
  const out = Buffer.alloc(12);
  for (let i = 11; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

describe("newCid", () => {
  test("20 characters of [0-9a-v]", () => {
    for (let i = 0; i < 100; i++) assert.match(newCid(), /^[0-9a-v]{20}$/);
  });

  test("unique over 10000 calls", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10000; i++) seen.add(newCid());
    assert.equal(seen.size, 10000);
  });

  test("the last character carries a single bit, as xid's", () => {
    for (let i = 0; i < 100; i++) {
      const last = newCid().at(-1);
      assert.ok(last === "0" || last === "g", `last character ${last}`);
    }
  });

  test("starts with the current time in seconds", () => {
    const before = Math.floor(Date.now() / 1000);
    const id = decode(newCid());
    const after = Math.floor(Date.now() / 1000);
    const t = id.readUInt32BE(0);
    assert.ok(t >= before && t <= after, `time ${t} not in [${before}, ${after}]`);
  });

  test("the process part is the same for every ID, the counter increases", () => {
    const a = decode(newCid());
    const b = decode(newCid());
    assert.deepEqual(a.subarray(4, 9), b.subarray(4, 9));
    const ca = a.readUIntBE(9, 3);
    const cb = b.readUIntBE(9, 3);
    assert.equal(cb, (ca + 1) & 0xffffff);
  });

  test("round-trips through the xid encoding", () => {
    const id = newCid();
    const b = decode(id);
    // Re-encode: 96 bits padded to 100, five bits per character, most significant first.
    let acc = 0n;
    for (const byte of b) acc = (acc << 8n) | BigInt(byte);
    acc <<= 4n;
    let out = "";
    for (let i = 19; i >= 0; i--) out += ALPHABET[Number((acc >> BigInt(i * 5)) & 31n)] ?? "";
    assert.equal(out, id);
  });
});
