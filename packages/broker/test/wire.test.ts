/**
 * Wire-level behaviour over raw sockets: exact frames, errors, chunking, slow
 * consumers, stale connections and a seeded fuzz.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Broker } from "../src/index.js";
import { RawClient, prng, sleep, waitFor, within } from "./helpers.js";

const QUIET = '{"verbose":false,"pedantic":false,"headers":true,"no_responders":true}';

/** A nats.js round trip through `broker`, proving it still serves clients. */
async function assertServing(broker: Broker): Promise<void> {
  const nc = await connect({ servers: broker.url, timeout: 3000, reconnect: false });
  try {
    const got: string[] = [];
    nc.subscribe("health.>", { callback: (_e, m) => void got.push(m.string()) });
    await nc.flush();
    nc.publish("health.check", "ok");
    await waitFor(() => got.length === 1, "health message");
    assert.deepEqual(got, ["ok"]);
  } finally {
    await nc.close();
  }
}

describe("wire protocol", () => {
  let broker: Broker;
  before(async () => {
    broker = await Broker.start({ port: 0, maxPayload: 1024 });
  });
  after(() => broker.close());

  test("INFO, verbose acknowledgements, MSG frames", async () => {
    const c = await RawClient.connect(broker.port);
    const info = JSON.parse(c.text.slice(5, c.text.indexOf("\r\n"))) as Record<string, unknown>;
    assert.equal(info["proto"], 1);
    assert.equal(info["headers"], true);
    assert.equal(info["max_payload"], 1024);
    assert.equal(info["port"], broker.port);
    assert.equal(typeof info["client_id"], "number");
    assert.equal(info["auth_required"], undefined);
    c.send(
      "CONNECT {}\r\nSUB foo.* 1\r\nSUB foo.bar q 2\r\nPUB foo.bar reply.to 5\r\nhello\r\nPING\r\n",
    );
    await c.waitFor("PONG\r\n");
    // CONNECT without options means verbose, as in nats-server.
    assert.equal(
      c.afterInfo,
      "+OK\r\n+OK\r\n+OK\r\n+OK\r\n" +
        "MSG foo.bar 1 reply.to 5\r\nhello\r\nMSG foo.bar 2 reply.to 5\r\nhello\r\nPONG\r\n",
    );
    c.destroy();
  });

  test("HPUB is delivered as HMSG; no-responders status frame", async () => {
    const c = await RawClient.connect(broker.port);
    c.send(`CONNECT ${QUIET}\r\nSUB h 1\r\nSUB _INBOX.me.* 2\r\n`);
    c.send("HPUB h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
    c.send("PUB nobody _INBOX.me.7 0\r\n\r\nPING\r\n");
    await c.waitFor("PONG\r\n");
    assert.equal(
      c.afterInfo,
      "HMSG h 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n" +
        "HMSG _INBOX.me.7 2 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n",
    );
    c.destroy();
  });

  test("UNSUB with max on the wire", async () => {
    const c = await RawClient.connect(broker.port);
    c.send(`CONNECT ${QUIET}\r\nSUB s 1\r\nUNSUB 1 2\r\n`);
    for (let i = 0; i < 4; i++) c.send(`PUB s 1\r\n${i}\r\n`);
    c.send("PING\r\n");
    await c.waitFor("PONG\r\n");
    assert.equal(c.afterInfo, "MSG s 1 1\r\n0\r\nMSG s 1 1\r\n1\r\nPONG\r\n");
    c.destroy();
  });

  test("invalid subjects get -ERR and the connection stays open", async () => {
    const c = await RawClient.connect(broker.port);
    c.send('CONNECT {"verbose":false,"pedantic":true}\r\n');
    c.send("SUB a..b 1\r\nSUB >.a 2\r\nSUB a.> 3\r\nPUB a.* 1\r\nx\r\nPING\r\n");
    await c.waitFor("PONG\r\n");
    assert.equal(
      c.afterInfo,
      "-ERR 'Invalid Subject'\r\n-ERR 'Invalid Subject'\r\n" +
        "-ERR 'Invalid Publish Subject'\r\nMSG a.* 3 1\r\nx\r\nPONG\r\n",
    );
    assert.equal(c.closed, false);
    c.destroy();
  });

  test("malformed input gets -ERR, the connection is closed, the broker keeps serving", async () => {
    const cases: [string, string][] = [
      ["FOO\r\n", "Unknown Protocol Operation"],
      ["GARBAGE WITHOUT A NEWLINE", "Unknown Protocol Operation"],
      ["\r\n", "Unknown Protocol Operation"],
      [" PING\r\n", "Unknown Protocol Operation"],
      ["\x00\x01\x02\xff\r\n", "Unknown Protocol Operation"],
      ["PUB foo\r\n", "Unknown Protocol Operation"],
      ["PUB foo bar\r\n", "Unknown Protocol Operation"],
      ["PUB foo 1234567890\r\n", "Unknown Protocol Operation"],
      ["PUB foo 2\r\nhiX\r\n", "Unknown Protocol Operation"],
      ["PUB\r\n", "Unknown Protocol Operation"],
      ["SUB foo\r\n", "Unknown Protocol Operation"],
      ["SUB a b c d\r\n", "Unknown Protocol Operation"],
      ["UNSUB\r\n", "Unknown Protocol Operation"],
      ["MSG foo 1 2\r\nhi\r\n", "Unknown Protocol Operation"],
      ["CONNECT {bad json\r\n", "Unknown Protocol Operation"],
      ["CONNECT [1]\r\n", "Unknown Protocol Operation"],
      ['CONNECT {"verbose":"yes"}\r\n', "Unknown Protocol Operation"],
      ['CONNECT {"protocol":2}\r\n', "invalid client protocol"],
      ['CONNECT {"no_responders":true}\r\n', "no responders requires headers support"],
      ["HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n", "message headers not supported"],
      [`CONNECT ${QUIET}\r\nHPUB foo 14 12\r\n`, "Unknown Protocol Operation"],
      ["PUB foo 2000\r\n", "Maximum Payload Violation"],
      [`SUB ${"a".repeat(5000)} 1\r\n`, "maximum control line exceeded"],
      [`SUB ${"a".repeat(5000)}`, "maximum control line exceeded"],
      ["-ERR 'oops'\r\n", ""],
    ];
    for (const [input, error] of cases) {
      const c = await RawClient.connect(broker.port);
      c.send(input);
      await within(c.waitClosed(), `close after ${JSON.stringify(input.slice(0, 40))}`);
      const expected = error === "" ? "" : `-ERR '${error}'\r\n`;
      assert.equal(c.afterInfo, expected, `reply to ${JSON.stringify(input.slice(0, 40))}`);
    }
    await waitFor(() => broker.clientCount === 0, "all raw clients gone");
    await assertServing(broker);
  });

  test("any TCP chunking gives the same result as one write", async () => {
    const stream =
      'CONNECT {"verbose":true,"pedantic":false,"headers":true}\r\n' +
      "SUB chunk.* 1\r\nSUB chunk.> grp 2\r\n" +
      "PUB chunk.a 5\r\nhello\r\n" +
      "HPUB chunk.b r.1 23 28\r\nNATS/1.0\r\nA: bcdefg\r\n\r\nworld\r\n" +
      "pub chunk.c 0\r\n\r\nUNSUB 2\r\nPUB chunk.d 2\r\n\r\n\r\nPING\r\n";
    const run = async (parts: string[]): Promise<string> => {
      const c = await RawClient.connect(broker.port);
      for (const p of parts) {
        c.send(p);
        // Give the broker a chance to read each part separately.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await c.waitFor("PONG\r\n");
      c.destroy();
      return c.afterInfo;
    };
    const whole = await run([stream]);
    assert.match(whole, /\r\nHMSG chunk.b 1 r.1 23 28\r\nNATS\/1.0\r\nA: bcdefg\r\n\r\nworld\r\n/);
    assert.match(whole, /\r\nHMSG chunk.b 2 r.1 23 28\r\n/);
    assert.match(whole, /\r\nMSG chunk.d 1 2\r\n\r\n\r\nPONG\r\n$/);
    for (let i = 1; i < stream.length; i += 3) {
      assert.equal(await run([stream.slice(0, i), stream.slice(i)]), whole, `split at ${i}`);
    }
    assert.equal(await run([...stream]), whole, "one byte per write");
    const rand = prng(7);
    for (let round = 0; round < 5; round++) {
      const parts: string[] = [];
      for (let i = 0; i < stream.length;) {
        const n = 1 + Math.floor(rand() * 12);
        parts.push(stream.slice(i, i + n));
        i += n;
      }
      assert.equal(await run(parts), whole, `random chunking ${round}`);
    }
  });
});

describe("slow consumers", () => {
  test("a client that never reads is cut off; others keep receiving", async () => {
    const broker = await Broker.start({ port: 0, maxPending: 1024 * 1024 });
    const conns: NatsConnection[] = [];
    try {
      const slow = await RawClient.connect(broker.port);
      slow.send(`CONNECT ${QUIET}\r\nSUB firehose 1\r\nPING\r\n`);
      await slow.waitFor("PONG\r\n");
      slow.pause();

      const fast = await connect({ servers: broker.url, timeout: 3000 });
      const pub = await connect({ servers: broker.url, timeout: 3000 });
      conns.push(fast, pub);
      let received = 0;
      fast.subscribe("firehose", { callback: () => void received++ });
      await fast.flush();

      const payload = new Uint8Array(16 * 1024);
      let sent = 0;
      // Kernel socket buffers absorb a few MiB first; stop as soon as the cut happens.
      // Bursts stay well below maxPending so that a client that does read keeps up.
      for (let batch = 0; batch < 2000 && broker.stats().slowConsumers === 0; batch++) {
        for (let i = 0; i < 8; i++) pub.publish("firehose", payload);
        sent += 8;
        await pub.flush();
      }
      assert.equal(broker.stats().slowConsumers, 1, "the slow client was detected");
      await waitFor(() => broker.clientCount === 2, "the slow client to be dropped");

      // The others are unaffected.
      await waitFor(() => received === sent, `fast subscriber to get all ${sent}`, 10_000);
      await assertServing(broker);

      // Once it reads again, the slow client finds the error at the end of its stream.
      slow.resume();
      await slow.waitClosed(5000);
      assert.ok(slow.text.endsWith("-ERR 'Slow Consumer'\r\n"), slow.text.slice(-80));
    } finally {
      await Promise.all(conns.map((nc) => nc.close()));
      await broker.close();
    }
  });
});

describe("timers", () => {
  test("a client that stops answering PINGs is dropped as stale", async () => {
    const broker = await Broker.start({ port: 0, pingInterval: 40, maxPingsOut: 2 });
    try {
      const c = await RawClient.connect(broker.port);
      c.send(`CONNECT ${QUIET}\r\n`);
      await within(c.waitClosed(), "stale close");
      assert.equal(c.afterInfo, "PING\r\nPING\r\n-ERR 'Stale Connection'\r\n");
      // A client that answers stays.
      const ok = await RawClient.connect(broker.port);
      ok.send(`CONNECT ${QUIET}\r\n`);
      for (let i = 0; i < 8; i++) {
        await sleep(25);
        ok.send("PONG\r\n");
      }
      assert.equal(ok.closed, false);
      ok.destroy();
    } finally {
      await broker.close();
    }
  });

  test("with a token, a client that never sends CONNECT times out", async () => {
    const broker = await Broker.start({ port: 0, token: "t", authTimeout: 100 });
    try {
      const c = await RawClient.connect(broker.port);
      await within(c.waitClosed(), "auth timeout");
      assert.equal(c.afterInfo, "-ERR 'Authentication Timeout'\r\n");
      const d = await RawClient.connect(broker.port);
      d.send("PING\r\n");
      await within(d.waitClosed(), "auth violation");
      assert.equal(d.afterInfo, "-ERR 'Authorization Violation'\r\n");
    } finally {
      await broker.close();
    }
  });
});

describe("fuzz", () => {
  test("2000 random and mutated frames in random chunkings never crash the broker", async () => {
    // "error" is what the broker logs when its own safety net catches an exception.
    const internalErrors: string[] = [];
    const broker = await Broker.start({
      port: 0,
      maxPayload: 96 * 1024,
      logger: (level, msg) => {
        if (level === "error") internalErrors.push(msg);
      },
    });
    const rand = prng(Number(process.env["BROKER_FUZZ_SEED"] ?? 0x5eed));
    const int = (n: number) => Math.floor(rand() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
    const tokens = ["a", "b", "c", "*", ">", "", "ü", "x y"];
    const subject = () => Array.from({ length: 1 + int(3) }, () => pick(tokens)).join(".");
    const payload = () => {
      const n = rand() < 0.05 ? 40_000 + int(60_000) : int(40);
      return "p".repeat(n);
    };
    const frames: (() => string)[] = [
      () =>
        `CONNECT {"verbose":${rand() < 0.5},"pedantic":${rand() < 0.5},"headers":true,"echo":${rand() < 0.7},"no_responders":true}\r\n`,
      () => "PING\r\n",
      () => "PONG\r\n",
      () => `SUB ${subject()} ${rand() < 0.3 ? "q " : ""}${int(10)}\r\n`,
      () => `UNSUB ${int(10)}${rand() < 0.5 ? ` ${int(4)}` : ""}\r\n`,
      () => {
        const p = payload();
        return `PUB ${subject()}${rand() < 0.3 ? " _INBOX.r" : ""} ${p.length}\r\n${p}\r\n`;
      },
      () => {
        const h = `NATS/1.0\r\nK: ${int(1000)}\r\n\r\n`;
        const p = payload();
        return `HPUB ${subject()} ${h.length} ${h.length + p.length}\r\n${h}${p}\r\n`;
      },
    ];
    const mutate = (s: string): string => {
      const i = int(s.length + 1);
      switch (int(6)) {
        case 0: // flip a byte
          return s.slice(0, i) + String.fromCharCode(int(256)) + s.slice(i + 1);
        case 1: // drop a range
          return s.slice(0, i) + s.slice(i + 1 + int(8));
        case 2: // insert junk
          return (
            s.slice(0, i) +
            Array.from({ length: 1 + int(6) }, () => String.fromCharCode(int(256))).join("") +
            s.slice(i)
          );
        case 3: // truncate
          return s.slice(0, i);
        case 4: // bare LF line endings
          return s.replaceAll("\r\n", "\n");
        default: // change a number
          return s.replace(/\d+/, String(int(200_000)));
      }
    };
    const frame = (): string => {
      const r = rand();
      if (r < 0.1)
        return Array.from({ length: 1 + int(64) }, () => String.fromCharCode(int(256))).join("");
      const f = pick(frames)();
      return r < 0.45 ? mutate(f) : f;
    };

    const pool: RawClient[] = [];
    const fresh = async () => {
      const c = await RawClient.connect(broker.port);
      c.send(frames[0]?.() ?? "");
      return c;
    };
    for (let i = 0; i < 6; i++) pool.push(await fresh());
    let closes = 0;
    const frameCount = Number(process.env["BROKER_FUZZ_FRAMES"] ?? 2000);
    for (let n = 0; n < frameCount; n++) {
      const slot = int(pool.length);
      let c = pool[slot] as RawClient;
      if (c.closed) {
        closes++;
        c = await fresh();
        pool[slot] = c;
      }
      const bytes = Buffer.from(frame(), "latin1");
      // Random chunking, including splits inside payloads and CRLFs.
      for (let i = 0; i < bytes.length;) {
        const len = 1 + int(rand() < 0.5 ? 8 : 4096);
        c.send(bytes.subarray(i, i + len));
        i += len;
      }
      if (n % 20 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await sleep(50);
    assert.ok(closes > 10, `fuzz should provoke closes (got ${closes})`);
    for (const c of pool) c.destroy();
    await waitFor(() => broker.clientCount === 0, "fuzz clients to be gone");
    assert.equal(broker.stats().subscriptions, 0, "no subscription leaks");
    assert.deepEqual(internalErrors, [], "no exception reached the safety net");
    await assertServing(broker);
    await broker.close();
  });
});
