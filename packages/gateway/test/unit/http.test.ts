// Pure pieces of the HTTP API: request targets read as Go reads them, paths to
// resource IDs and back, allowed origins, status mapping, and trace-log redaction.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Errors, ResError } from "@resgate-ts/protocol";
import { matchesOrigins, parseAllowOrigin } from "../../src/http/cors.js";
import { parseRequestTarget, pathUnescape } from "../../src/http/request-target.js";
import { pathToRid, pathToRidAction, ridToPath } from "../../src/http/rest-encoding.js";
import { errorStatus, statusError } from "../../src/http/status.js";
import { redactPayload } from "../../src/util/redact.js";

describe("request targets", () => {
  test("path, raw path and query as Go's URL has them", () => {
    assert.deepEqual(parseRequestTarget("/api/a/b?q=1&x=%20"), {
      uri: "/api/a/b?q=1&x=%20",
      path: "/api/a/b",
      rawPath: "",
      rawQuery: "q=1&x=%20",
    });
    // An escape Go would not write keeps the raw path.
    assert.equal(parseRequestTarget("/api/a%2Eb")?.rawPath, "/api/a%2Eb");
    assert.equal(parseRequestTarget("/api/a%2Eb")?.path, "/api/a.b");
    // Go's own escapes: the raw path is dropped (and the path is decoded again later).
    assert.equal(parseRequestTarget("/api/a%20b")?.rawPath, "");
    assert.equal(parseRequestTarget("/api/a%2541")?.path, "/api/a%41");
    assert.equal(parseRequestTarget("/api/%c3%a5")?.rawPath, "/api/%c3%a5");
    assert.equal(parseRequestTarget("http://host:80/api/x?y")?.path, "/api/x");
    assert.equal(parseRequestTarget("*")?.path, "*");
  });

  test("an invalid escape is refused", () => {
    for (const t of ["/api/%zz", "/api/%4", "/%", "/a%g0"]) {
      assert.equal(parseRequestTarget(t), undefined, t);
    }
    assert.equal(parseRequestTarget("/api/x?%zz")?.rawQuery, "%zz");
    assert.equal(pathUnescape("a%2Fb+c"), "a/b+c");
  });
});

describe("paths and resource IDs", () => {
  test("pathToRid", () => {
    const cases: [string, string, string][] = [
      ["/api/a/b", "", "a.b"],
      ["/api/a/b", "q=1", "a.b?q=1"],
      ["/api/a%2Eb/c", "", "a.b.c"],
      ["/api//a", "", "a"],
      ["/api/a//b", "", "a..b"],
      ["/api/", "", ""],
      ["/other/a", "", ""],
      ["/api/a.b", "", ""],
      ["/api/a%zz", "", ""],
    ];
    for (const [path, query, rid] of cases)
      assert.equal(pathToRid(path, query, "/api/"), rid, path);
  });

  test("pathToRidAction", () => {
    assert.deepEqual(pathToRidAction("/api/a/b/m", "q=1", "/api/"), {
      rid: "a.b?q=1",
      action: "m",
    });
    assert.deepEqual(pathToRidAction("/api/m", "", "/api/"), { rid: "", action: "" });
    assert.deepEqual(pathToRidAction("/api/a.b/m", "", "/api/"), { rid: "", action: "" });
  });

  test("ridToPath escapes as Go's url.PathEscape", () => {
    assert.equal(ridToPath("a.b", "/api/"), "/api/a/b");
    assert.equal(ridToPath("a.b c/d;e,f", "/api/"), "/api/a/b%20c%2Fd%3Be%2Cf");
    assert.equal(ridToPath("a.$&+:=@~", "/x/"), "/x/a/$&+:=@~");
    assert.equal(ridToPath("", "/api/"), "");
  });
});

describe("allowed origins", () => {
  test("lowercased and sorted; '*' alone", () => {
    assert.deepEqual(parseAllowOrigin("https://B.io;http://a.com:8080"), [
      "http://a.com:8080",
      "https://b.io",
    ]);
    assert.deepEqual(parseAllowOrigin("*"), ["*"]);
    for (const bad of [
      "*;http://a",
      "",
      "a.com",
      "http://a.com/",
      "http://u@a.com",
      "http://a#x",
    ]) {
      assert.throws(() => parseAllowOrigin(bad), Error, bad);
    }
  });

  test("matching ignores the case of the request's origin", () => {
    assert.ok(matchesOrigins(["http://a.com"], "HTTP://A.COM"));
    assert.ok(!matchesOrigins(["http://a.com"], "http://a.com:80"));
  });
});

describe("statuses", () => {
  test("errors to statuses", () => {
    const cases: [ResError, number][] = [
      [Errors.notFound(), 404],
      [Errors.methodNotFound(), 404],
      [Errors.timeout(), 404],
      [Errors.accessDenied(), 401],
      [Errors.methodNotAllowed(), 405],
      [Errors.internalError(), 500],
      [Errors.serviceUnavailable(), 503],
      [Errors.forbidden(), 403],
      [Errors.subjectTooLong(), 414],
      [Errors.invalidParams(), 400],
      [new ResError("custom.code", "x"), 400],
    ];
    for (const [err, status] of cases) assert.equal(errorStatus(err), status, err.code);
  });

  test("statuses to errors", () => {
    assert.equal(statusError(402).code, "system.accessDenied");
    assert.equal(statusError(451).code, "system.forbidden");
    assert.equal(statusError(410).code, "system.notFound");
    assert.equal(statusError(418).code, "system.badRequest");
    assert.equal(statusError(501).code, "system.notImplemented");
    assert.equal(statusError(504).code, "system.timeout");
    assert.equal(statusError(599).code, "system.internalError");
  });
});

describe("trace-log redaction", () => {
  test("tokens and credential headers are redacted, the rest kept", () => {
    assert.equal(
      redactPayload('{"params":{"a":1},"token":{"user":"x"},"cid":"c"}'),
      '{"params":{"a":1},"token":"[redacted]","cid":"c"}',
    );
    assert.equal(redactPayload('{"token":null,"cid":"c"}'), '{"token":null,"cid":"c"}');
    assert.equal(redactPayload('{"Token":"t","tid":"1"}'), '{"Token":"[redacted]","tid":"1"}');
    assert.equal(
      redactPayload(
        '{"header":{"Cookie":["a=1"],"Authorization":["x"],"Accept":["*/*"]},"cid":"c"}',
      ),
      '{"header":{"Cookie":["[redacted]"],"Authorization":["[redacted]"],"Accept":["*/*"]},"cid":"c"}',
    );
    assert.equal(redactPayload('{"get":true}'), '{"get":true}');
    assert.equal(redactPayload("not json token"), "not json token");
  });
});
