import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { PROTOCOL_VERSION, ProtocolVersion, parseProtocolVersion } from "../src/index.js";

test("PROTOCOL_VERSION is the RES protocol version this package implements", () => {
  assert.equal(PROTOCOL_VERSION, "1.2.3");
});

describe("ProtocolVersion", () => {
  test("latest is PROTOCOL_VERSION in integer form", () => {
    assert.equal(parseProtocolVersion(PROTOCOL_VERSION), ProtocolVersion.latest);
    assert.equal(ProtocolVersion.latest, 1_002_003);
  });

  test("the legacy and feature versions", () => {
    assert.equal(ProtocolVersion.legacy, parseProtocolVersion("1.1.1"));
    assert.equal(ProtocolVersion.callResourceResponse, parseProtocolVersion("1.2.0"));
    assert.equal(ProtocolVersion.softReferenceAndDataValue, parseProtocolVersion("1.2.1"));
  });
});

describe("parseProtocolVersion: valid versions", () => {
  const cases: readonly [string, number][] = [
    ["1.2.3", 1_002_003],
    ["1.0.0", 1_000_000],
    ["0.0.0", 0],
    ["1.1.1", 1_001_001],
    ["1.2.0", 1_002_000],
    ["1.999.999", 1_999_999],
    ["2.0.0", 2_000_000],
    ["999.999.999", 999_999_999],
    // Go's strconv.Atoi: leading zeros and a sign are accepted.
    ["01.002.003", 1_002_003],
    ["+1.+2.+3", 1_002_003],
    ["1.-1.0", 999_000],
    ["-1.0.0", -1_000_000],
    ["-0.0.0", 0],
  ];
  for (const [s, v] of cases) {
    test(`${JSON.stringify(s)} -> ${v}`, () => {
      assert.equal(parseProtocolVersion(s), v);
    });
  }
});

describe("parseProtocolVersion: malformed versions", () => {
  const cases = [
    "",
    "1",
    "1.2",
    "1.2.3.4",
    "1..2",
    "1.2.",
    ".1.2",
    "..",
    "a.b.c",
    "1.2.x",
    "v1.2.3",
    "1.2.3-beta",
    " 1.2.3",
    "1.2.3 ",
    "1. 2.3",
    "1.2.1000",
    "1.1000.0",
    "1000.0.0",
    "1.2.3e0",
    "1.2.1e2",
    "0x1.2.3",
    "1_0.2.3",
    "1.2.+",
    "1.2.-",
    "1.2.--1",
    "1.2.3.",
    "١.٢.٣",
    "1.2.3\n",
  ];
  for (const s of cases) {
    test(JSON.stringify(s), () => {
      assert.equal(parseProtocolVersion(s), undefined);
    });
  }

  test("a part out of Go's int range is malformed", {}, () => {
    assert.equal(parseProtocolVersion("1.-99999999999999999999.0"), undefined);
    assert.equal(parseProtocolVersion("1.0.-9223372036854775809"), undefined);
  });
});
