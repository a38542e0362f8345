import assert from "node:assert/strict";
import { test } from "node:test";

import { PROTOCOL_VERSION } from "../src/index.js";

test("PROTOCOL_VERSION is the RES protocol version this package implements", () => {
  assert.equal(PROTOCOL_VERSION, "1.2.3");
});
