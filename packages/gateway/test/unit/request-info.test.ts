// requestInfo: the upgrade request as auth requests describe it, kept packed per connection.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, test } from "node:test";

import { authFields, firstHeader, requestInfo } from "../../src/conn/request-info.js";

function fakeRequest(opts: {
  url: string;
  rawHeaders: string[];
  remoteAddress?: string;
  remotePort?: number;
}): IncomingMessage {
  return {
    url: opts.url,
    rawHeaders: opts.rawHeaders,
    socket: { remoteAddress: opts.remoteAddress ?? "127.0.0.1", remotePort: opts.remotePort ?? 5 },
  } as unknown as IncomingMessage;
}

/** The auth request members as the object they make. */
function fields(req: IncomingMessage): Record<string, unknown> {
  return JSON.parse("{" + authFields(requestInfo(req)).slice(1) + "}") as Record<string, unknown>;
}

describe("requestInfo", () => {
  test("Go's canonical names, repeated headers as lists, Host apart, remote address and URI", () => {
    const req = fakeRequest({
      url: "/ws?token=a%22b",
      remoteAddress: "::1",
      remotePort: 4321,
      rawHeaders: [
        "Host",
        "example.com:8080",
        "user-agent",
        'Agent "quoted" \\ ü',
        "X-Custom",
        "one",
        "x-custom",
        "two",
        "HOST",
        "ignored.example",
        "Sec-WebSocket-Key",
        "dGhlIHNhbXBsZSBub25jZQ==",
      ],
    });
    assert.deepEqual(fields(req), {
      header: {
        "User-Agent": ['Agent "quoted" \\ ü'],
        "X-Custom": ["one", "two"],
        "Sec-Websocket-Key": ["dGhlIHNhbXBsZSBub25jZQ=="],
      },
      host: "example.com:8080",
      remoteAddr: "[::1]:4321",
      uri: "/ws?token=a%22b",
    });
  });

  test("shared header values give the same answer on every connection", () => {
    const make = (key: string) =>
      fakeRequest({
        url: "/",
        rawHeaders: ["Host", "h", "User-Agent", "UA 1.0", "Sec-WebSocket-Key", key],
      });
    for (const key of ["a", "b", "c"]) {
      assert.deepEqual(fields(make(key)), {
        header: { "User-Agent": ["UA 1.0"], "Sec-Websocket-Key": [key] },
        host: "h",
        remoteAddr: "127.0.0.1:5",
        uri: "/",
      });
    }
  });

  test("no headers, no Host: only the remote address and URI", () => {
    assert.deepEqual(fields(fakeRequest({ url: "/x", rawHeaders: [] })), {
      remoteAddr: "127.0.0.1:5",
      uri: "/x",
    });
  });

  test("firstHeader finds the first value whatever the name's case", () => {
    const raw = ["X-A", "1", "Origin", "https://a", "origin", "https://b"];
    assert.equal(firstHeader(raw, "origin"), "https://a");
    assert.equal(firstHeader(raw, "x-a"), "1");
    assert.equal(firstHeader(raw, "x-b"), undefined);
  });
});
