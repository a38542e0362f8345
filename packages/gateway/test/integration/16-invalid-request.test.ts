// Bad client input: invalid methods and rids (system.invalidRequest), frames that are
// not requests (no reply at all, the connection stays usable), binary frames, invalid
// UTF-8, oversized frames and pathological JSON. Another client keeps working
// throughout. Resgate's test/16invalid_request_test.go; the decoding rules are those
// of server/rpc/rpc.go (Request.ID is a *uint64 decoded with Go's encoding/json).
import assert from "node:assert/strict";
import { after, before, describe, test, type TestContext } from "node:test";
import { TestEnv } from "../support/env.js";
import {
  Err,
  LATEST,
  MODEL,
  assertError,
  assertResult,
  connectVersion,
  sleep,
  within,
} from "../support/request-basics-helpers.js";
import type { TestClient } from "../support/ws-client.js";

let env: TestEnv;
/** A client connected for the whole file; it must keep working whatever the others send. */
let witness: TestClient;

before(async () => {
  env = await TestEnv.start();
  witness = await env.connect();
});
after(async () => {
  await env.stop();
});

async function witnessWorks(): Promise<void> {
  const r = await witness.request("version", { protocol: LATEST }, 2000);
  assertResult(r, { protocol: "1.2.3" });
}

const VERSION_RESULT = '{"result":{"protocol":"1.2.3"},"id":';

/** A client without handshake, so that its frames are only those a test causes. */
async function bare(t: TestContext): Promise<TestClient> {
  const c = await env.connect(t);
  // Errors after the socket is closed by the gateway are expected in some tests.
  c.ws.on("error", () => undefined);
  return c;
}

/** Asserts that `frame` gets no reply: a following version request is the only answer. */
async function assertNoReply(
  t: TestContext,
  frame: string | Buffer,
  binary = false,
): Promise<void> {
  const c = await bare(t);
  c.send(frame, binary);
  const r = await c.request("version");
  assertResult(r, { protocol: "1.2.3" });
  await sleep(20);
  assert.deepEqual(c.frames, [`${VERSION_RESULT}${r.id}}`]);
}

// ---- invalid methods and rids ----------------------------------------------------------------

describe("invalid methods and rids get system.invalidRequest", { concurrency: true }, () => {
  // `T` stands for a per-test resource name, so that any request sent can be detected.
  const methods: string[] = [
    "",
    "T",
    "new",
    "unknown.T",
    "call.T",
    "call.T.methöd",
    "call.T?foo",
    "call.T.method?foo",
    "auth.T",
    "subscribe..T.model",
    "subscribe.T..model",
    "subscribe.T.model.",
    ".subscribe.T.model",
    "subscribe?foo=bar",
    "subscribe.T\tmodel",
    "subscribe.T\nmodel",
    "subscribe.T\rmodel",
    "subscribe.T model",
    "subscribe.T\ufffdmodel",
    "subscribe.täst.T",
    "subscribe.T.*.model",
    "subscribe.T.>.model",
    "subscribe.T.model.>",
    // Beyond Resgate's table, by the same rules (rpc.go, codec.IsValidRID):
    "get",
    "get.",
    "subscribe",
    "unsubscribe.",
    "version.T",
    "VERSION",
    "Subscribe.T.model",
    "subscribe.?foo",
    "subscribe.T.?foo",
    "subscribe.T\u0000model",
    "subscribe.T\u007fmodel",
    "call.T.",
    "call..method",
    "auth.T.",
    "auth..method",
    "new.",
    "get.T.*",
  ];
  for (const method of methods) {
    test(JSON.stringify(method), async (t) => {
      const p = env.prefix();
      const c = await bare(t);
      const m = method.replaceAll("T", p);
      assertError(await c.request(m), Err.invalidRequest);
      await sleep(30);
      assert.deepEqual(
        env.service.log.filter((r) => r.subject.includes(p)).map((r) => r.subject),
        [],
        "no request reaches NATS",
      );
    });
  }
  test("a missing method", async (t) => {
    const c = await bare(t);
    c.send('{"id":77}');
    assertError(await c.response(77), Err.invalidRequest);
  });
  test("a null method", async (t) => {
    const c = await bare(t);
    c.send('{"id":78,"method":null}');
    assertError(await c.response(78), Err.invalidRequest);
  });
});

// ---- frames that are not requests -------------------------------------------------------------

describe("frames that are not requests get no reply", { concurrency: true }, () => {
  const frames: [string, string][] = [
    ["null", "null"],
    ["an empty array", "[]"],
    ["an array holding a request", '[{"id":91,"method":"version"}]'],
    ["a string", '"version"'],
    ["a number", "42"],
    ["true", "true"],
    ["an empty object", "{}"],
    ["no id", '{"method":"version"}'],
    ["id null", '{"id":null,"method":"version"}'],
    ["id negative", '{"id":-1,"method":"version"}'],
    ["id 1.5", '{"id":1.5,"method":"version"}'],
    ['id "1"', '{"id":"1","method":"version"}'],
    ["id true", '{"id":true,"method":"version"}'],
    ["id an object", '{"id":{},"method":"version"}'],
    ["id an array", '{"id":[91],"method":"version"}'],
    ["id 2^64 (beyond uint64)", '{"id":18446744073709551616,"method":"version"}'],
    ["method a number", '{"id":91,"method":5}'],
    ["method an array", '{"id":91,"method":["version"]}'],
    ["method an object", '{"id":91,"method":{}}'],
    ["truncated JSON", '{"id":91,"method":"version"'],
    ["trailing garbage", '{"id":91,"method":"version"}}'],
    ["two objects", '{"id":91,"method":"version"} {"id":92,"method":"version"}'],
    ["a trailing comma", '{"id":91,"method":"version",}'],
    ["single quotes", "{'id':91,'method':'version'}"],
    ["a missing value", '{"id":91,"method":"version","params":}'],
    ["an empty frame", ""],
    ["whitespace only", " \r\n\t"],
    ["not JSON", "hello"],
    ["a BOM before the object", '\ufeff{"id":91,"method":"version"}'],
  ];
  for (const [name, frame] of frames) {
    test(name, (t) => assertNoReply(t, frame));
  }

  test("a subscribe with a negative id sends nothing to services", async (t) => {
    const p = env.prefix();
    await assertNoReply(t, `{"id":-5,"method":"subscribe.${p}.model"}`);
    await sleep(50);
    assert.equal(env.service.log.filter((r) => r.subject.includes(p)).length, 0);
  });
});

describe("ids as Go decodes them into a *uint64", { concurrency: true }, () => {
  test("id 0 is valid", async (t) => {
    const c = await bare(t);
    c.send('{"id":0,"method":"version"}');
    assertResult(await c.response(0), { protocol: "1.2.3" });
    assert.deepEqual(c.frames, [`${VERSION_RESULT}0}`]);
  });

  test("id 2^53-1 is answered with the same id", async (t) => {
    const c = await bare(t);
    c.send('{"id":9007199254740991,"method":"version"}');
    await within(
      (async () => {
        while (c.frames.length === 0) await sleep(5);
      })(),
      2000,
      "a response",
    );
    assert.deepEqual(c.frames, [`${VERSION_RESULT}9007199254740991}`]);
  });

  for (const [name, frame] of [
    ["id 1.0", '{"id":1.0,"method":"version"}'],
    ["id 1e2", '{"id":1e2,"method":"version"}'],
    ["id -0", '{"id":-0,"method":"version"}'],
  ] as const) {
    test(`${name} gets no reply (not an unsigned integer literal)`, {}, (t) =>
      assertNoReply(t, frame),
    );
  }

  for (const id of ["9007199254740993", "18446744073709551615"]) {
    test(`id ${id} is answered with exactly that id`, {}, async (t) => {
      const c = await bare(t);
      c.send(`{"id":${id},"method":"version"}`);
      await sleep(150);
      assert.deepEqual(c.frames, [`${VERSION_RESULT}${id}}`]);
    });
  }
});

test("unknown members are ignored", async (t) => {
  const c = await bare(t);
  c.send(
    '{"jsonrpc":"2.0","id":5,"method":"version","params":{"protocol":"1.2.3","x":1},"foo":[1,{}]}',
  );
  assertResult(await c.response(5), { protocol: "1.2.3" });
});

test("a member given twice: the last one counts", async (t) => {
  const c = await bare(t);
  c.send('{"id":1,"method":"nope","id":6,"method":"version"}');
  assertResult(await c.response(6), { protocol: "1.2.3" });
  assert.deepEqual(c.frames, [`${VERSION_RESULT}6}`]);
});

test("member names match case-insensitively, as Go's encoding/json matches them", {}, async (t) => {
  const c = await bare(t);
  c.send('{"ID":7,"Method":"version","Params":{"Protocol":"1.2.3"}}');
  assertResult(await c.response(7, 1000), { protocol: "1.2.3" });
});

test("every request of a burst of 300 gets one response, in order", async (t) => {
  const c = await bare(t);
  const ids: number[] = [];
  for (let i = 0; i < 300; i++) ids.push(c.sendRequest("version"));
  for (const id of ids) assertResult(await c.response(id), { protocol: "1.2.3" });
  assert.deepEqual(
    c.frames.map((f) => (JSON.parse(f) as { id: number }).id),
    ids,
  );
});

// ---- binary frames and UTF-8 -----------------------------------------------------------------

test("a binary frame is handled like a text frame and answered with a text frame", async (t) => {
  const c = await bare(t);
  const kinds: boolean[] = [];
  c.ws.on("message", (_data: unknown, isBinary: boolean) => kinds.push(isBinary));
  c.send(Buffer.from('{"id":3,"method":"version","params":{"protocol":"1.2.3"}}'), true);
  assertResult(await c.response(3), { protocol: "1.2.3" });
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, MODEL);
  c.send(Buffer.from(`{"id":4,"method":"subscribe.${p}.model"}`), true);
  assertResult(await c.response(4), { models: { [`${p}.model`]: MODEL } });
  assert.deepEqual(kinds, [false, false]);
});

test("a binary frame with invalid UTF-8 inside the method string: system.invalidRequest", async (t) => {
  const c = await bare(t);
  const p = env.prefix();
  const frame = Buffer.concat([
    Buffer.from(`{"id":8,"method":"subscribe.${p}`),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('model"}'),
  ]);
  c.send(frame, true);
  assertError(await c.response(8), Err.invalidRequest);
});

test("a binary frame with invalid UTF-8 outside strings gets no reply", (t) =>
  assertNoReply(
    t,
    Buffer.concat([
      Buffer.from('{"id":9,'),
      Buffer.from([0xff]),
      Buffer.from('"method":"version"}'),
    ]),
    true,
  ));

test("a text frame with invalid UTF-8 closes the socket with 1007", async (t) => {
  const c = await bare(t);
  c.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), false);
  const closed = await within(c.closed, 3000, "close");
  assert.equal(closed.code, 1007);
  assert.deepEqual(c.frames, []);
  await witnessWorks();
  const c2 = await connectVersion(env, t);
  assertResult(await c2.request("version", { protocol: LATEST }), { protocol: "1.2.3" });
});

// ---- size and depth ----------------------------------------------------------------------------

test("a frame larger than 16 MiB closes the socket with 1009", async (t) => {
  const c = await bare(t);
  const body = "x".repeat(17 * 1024 * 1024);
  c.send(`{"id":1,"method":"version","params":{"pad":"${body}"}}`);
  const closed = await within(c.closed, 10000, "close");
  assert.equal(closed.code, 1009);
  assert.deepEqual(c.frames, []);
  await witnessWorks();
});

test("a frame just under 16 MiB is accepted", async (t) => {
  const c = await bare(t);
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, MODEL);
  const pad = "y".repeat(16 * 1024 * 1024 - 200);
  c.send(`{"id":2,"method":"subscribe.${p}.model","params":{"pad":"${pad}"}}`);
  assertResult(await c.response(2, 10000), { models: { [`${p}.model`]: MODEL } });
  await witnessWorks();
});

test("a megabyte string in params gets an answer", async (t) => {
  const c = await bare(t);
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, MODEL);
  const big = "1".repeat(1024 * 1024);
  assertError(await c.request("version", { protocol: big }), Err.invalidParams);
  assertResult(await c.request(`subscribe.${p}.model`, { big }), {
    models: { [`${p}.model`]: MODEL },
  });
  assertError(await c.request(`unsubscribe.${p}.model`, { count: big }), Err.invalidParams);
  await witnessWorks();
});

function nested(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

// Go's encoding/json accepts nesting up to depth 10000: the request object is depth 1,
// so params nested 9999 deep are the deepest a Resgate client may send.
test("params nested 9999 deep: a version request gets system.invalidParams", async (t) => {
  const c = await bare(t);
  c.send(`{"id":11,"method":"version","params":${nested(9999)}}`);
  assertError(await c.response(11), Err.invalidParams);
  await witnessWorks();
});

test(
  "params nested 9999 deep: a subscribe is answered as usual (params are ignored)",
  {},
  async (t) => {
    const c = await bare(t);
    const p = env.prefix();
    env.service.serveModel(`${p}.model`, MODEL);
    c.send(`{"id":12,"method":"subscribe.${p}.model","params":${nested(9999)}}`);
    assertResult(await c.response(12, 1500), { models: { [`${p}.model`]: MODEL } });
  },
);

test("params nested 9999 deep: an unsubscribe gets system.invalidParams", {}, async (t) => {
  const c = await bare(t);
  c.send(`{"id":13,"method":"unsubscribe.${env.prefix()}.model","params":${nested(9999)}}`);
  assertError(await c.response(13, 1500), Err.invalidParams);
});

test(
  "70 subscribes with params nested 9999 deep are all answered and the connection keeps reading",
  {},
  async (t) => {
    const c = await bare(t);
    const p = env.prefix();
    env.service.serveModel(`${p}.model`, MODEL);
    for (let i = 0; i < 70; i++) {
      c.send(`{"id":${1000 + i},"method":"subscribe.${p}.model","params":${nested(9999)}}`);
    }
    const r = await c.request("version", undefined, 2000);
    assertResult(r, { protocol: "1.2.3" });
    assert.equal(c.frames.length, 71);
    await witnessWorks();
  },
);

for (const depth of [10000, 200000]) {
  test(
    `params nested ${depth} deep get no reply (Go's JSON decoder stops at depth 10000) and nothing breaks`,
    {},
    async (t) => {
      await assertNoReply(t, `{"id":14,"method":"version","params":${nested(depth)}}`);
      await witnessWorks();
    },
  );
}

test("a subscribe with params nested 200000 deep breaks nothing", async (t) => {
  const c = await bare(t);
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, MODEL);
  c.send(`{"id":15,"method":"subscribe.${p}.model","params":${nested(200000)}}`);
  await sleep(100);
  // Whatever became of it, the connection answers the next requests.
  assertResult(await c.request("version"), { protocol: "1.2.3" });
  assertResult(await c.request(`subscribe.${p}.model`), {
    models: { [`${p}.model`]: MODEL },
  });
  await witnessWorks();
});

test("the witness client kept working through every test", async () => {
  await witnessWorks();
  assert.ok(
    witness.frames.every((f) => f.startsWith(VERSION_RESULT)),
    "it received only its own responses",
  );
});
