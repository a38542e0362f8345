/**
 * The broker driven by the official NATS client (@nats-io/transport-node).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AuthorizationError,
  connect,
  headers,
  NoRespondersError,
  RequestError,
  type Msg,
  type NatsConnection,
} from "@nats-io/transport-node";
import { Broker } from "../src/index.js";
import { RawClient, waitFor, within } from "./helpers.js";

/** Subscribes with a callback that records every message. */
function record(nc: NatsConnection, subject: string, opts: { queue?: string; max?: number } = {}) {
  const msgs: Msg[] = [];
  const sub = nc.subscribe(subject, { ...opts, callback: (_err, msg) => void msgs.push(msg) });
  return { msgs, sub, data: () => msgs.map((m) => m.string()) };
}

describe("with the official client", () => {
  let broker: Broker;
  const conns: NatsConnection[] = [];

  async function client(opts: Parameters<typeof connect>[0] = {}): Promise<NatsConnection> {
    const nc = await connect({ servers: broker.url, timeout: 3000, ...opts });
    conns.push(nc);
    return nc;
  }

  before(async () => {
    broker = await Broker.start({ port: 0, maxPayload: 64 * 1024 });
  });

  after(async () => {
    await Promise.all(conns.map((nc) => nc.close().catch(() => undefined)));
    await broker.close();
  });

  test("start on port 0 reports the bound port and url", () => {
    assert.ok(broker.port > 0);
    assert.equal(broker.host, "127.0.0.1");
    assert.equal(broker.url, `nats://127.0.0.1:${broker.port}`);
  });

  test("start rejects a taken port and invalid options", async () => {
    await assert.rejects(Broker.start({ port: broker.port }), /EADDRINUSE/);
    await assert.rejects(Broker.start({ port: 0, maxPayload: 0 }), RangeError);
    await assert.rejects(Broker.start({ port: 70000 }), RangeError);
    await assert.rejects(Broker.start({ port: 0, token: "" }), RangeError);
  });

  test("publish and subscribe, across connections and to self", async () => {
    const a = await client();
    const b = await client();
    const onA = record(a, "greet");
    const onB = record(b, "greet");
    await a.flush();
    await b.flush();
    a.publish("greet", "hello");
    b.publish("greet", "world");
    await waitFor(() => onA.msgs.length === 2 && onB.msgs.length === 2, "4 deliveries");
    assert.deepEqual(onA.data().sort(), ["hello", "world"]);
    assert.deepEqual(onB.data().sort(), ["hello", "world"]);
    assert.equal(broker.clientCount >= 2, true);
  });

  test("`*` and `>` wildcards", async () => {
    const nc = await client();
    const star = record(nc, "w.*");
    const starMid = record(nc, "w.*.c");
    const gt = record(nc, "w.>");
    const all = record(nc, ">");
    await nc.flush();
    for (const s of ["w.a", "w.b.c", "w.b.d", "w", "x.y"]) nc.publish(s, s);
    await nc.flush();
    await waitFor(() => all.msgs.length === 5, "5 messages on >");
    assert.deepEqual(star.data(), ["w.a"]);
    assert.deepEqual(starMid.data(), ["w.b.c"]);
    assert.deepEqual(gt.data(), ["w.a", "w.b.c", "w.b.d"]);
    assert.deepEqual(all.data(), ["w.a", "w.b.c", "w.b.d", "w", "x.y"]);
    assert.deepEqual(
      all.msgs.map((m) => m.subject),
      ["w.a", "w.b.c", "w.b.d", "w", "x.y"],
    );
    await nc.close(); // its `>` would otherwise answer every later request
  });

  test("queue groups: each message to exactly one member per group", async () => {
    const members = await Promise.all([client(), client(), client()]);
    const g1 = members.map((nc) => record(nc, "work.*", { queue: "g1" }));
    // Same group name on an overlapping subject: still one group.
    const g1b = record(members[0], "work.>", { queue: "g1" });
    const g2 = members.slice(0, 2).map((nc) => record(nc, "work.item", { queue: "g2" }));
    const plain = record(members[2], "work.item");
    await Promise.all(members.map((nc) => nc.flush()));
    const pub = await client();
    const n = 300;
    for (let i = 0; i < n; i++) pub.publish("work.item", String(i));
    await pub.flush();
    const count = (rs: { msgs: Msg[] }[]) => rs.reduce((sum, r) => sum + r.msgs.length, 0);
    await waitFor(
      () => count([...g1, g1b]) === n && count(g2) === n && plain.msgs.length === n,
      "all deliveries",
    );
    await Promise.all(members.map((nc) => nc.flush()));
    const expected = Array.from({ length: n }, (_, i) => String(i)).sort();
    assert.deepEqual([...g1, g1b].flatMap((r) => r.data()).sort(), expected);
    assert.deepEqual(g2.flatMap((r) => r.data()).sort(), expected);
    assert.equal(plain.msgs.length, n);
    for (const r of [...g1, ...g2]) assert.ok(r.msgs.length > 0, "every member gets some work");
  });

  test("request/reply", async () => {
    const service = await client();
    service.subscribe("svc.echo", {
      callback: (_err, msg) => void msg.respond(`echo:${msg.string()}`),
    });
    await service.flush();
    const requester = await client();
    const replies = await Promise.all(
      ["a", "b", "c"].map((x) => requester.request("svc.echo", x, { timeout: 2000 })),
    );
    assert.deepEqual(
      replies.map((m) => m.string()),
      ["echo:a", "echo:b", "echo:c"],
    );
  });

  test("headers: HPUB/HMSG round trip, stripped for clients without header support", async () => {
    const nc = await client();
    const got = record(nc, "hdr.test");
    const raw = await RawClient.connect(broker.port);
    raw.send(
      'CONNECT {"verbose":false,"pedantic":false,"headers":false}\r\nSUB hdr.test 9\r\nPING\r\n',
    );
    await raw.waitFor("PONG\r\n");
    await nc.flush();
    const h = headers();
    h.set("X-Trace", "abc");
    h.append("X-Multi", "1");
    h.append("X-Multi", "2");
    nc.publish("hdr.test", "body", { headers: h });
    await waitFor(() => got.msgs.length === 1, "header message");
    const m = got.msgs[0];
    assert.ok(m?.headers);
    assert.equal(m.headers.get("X-Trace"), "abc");
    assert.deepEqual(m.headers.values("X-Multi"), ["1", "2"]);
    assert.equal(m.string(), "body");
    // The client without headers gets a plain MSG with just the body.
    await raw.waitFor("MSG hdr.test 9 4\r\nbody\r\n");
    assert.ok(!raw.text.includes("HMSG"));
    raw.destroy();
  });

  test("no responders: a request nobody listens to fails fast", async () => {
    const nc = await client();
    const started = Date.now();
    const err = await nc.request("nobody.home", "?", { timeout: 5000 }).then(
      () => assert.fail("request should fail"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RequestError, `got ${String(err)}`);
    assert.ok(err.isNoResponders());
    assert.ok(err.cause instanceof NoRespondersError);
    assert.ok(Date.now() - started < 1000, "answered by the broker, not by the timeout");
  });

  test("no responders honours echo=false on the requester's own subscription", async () => {
    const nc = await client({ noEcho: true });
    const own = record(nc, "self.only");
    await nc.flush();
    const err = await nc.request("self.only", "?", { timeout: 5000 }).then(
      () => assert.fail("request should fail"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RequestError && err.isNoResponders());
    assert.equal(own.msgs.length, 0);
  });

  test("echo=false: a client does not receive its own messages", async () => {
    const quiet = await client({ noEcho: true });
    const other = await client();
    const mine = record(quiet, "echo.test");
    const theirs = record(other, "echo.test");
    await quiet.flush();
    await other.flush();
    quiet.publish("echo.test", "1");
    other.publish("echo.test", "2");
    await waitFor(() => theirs.msgs.length === 2 && mine.msgs.length === 1, "deliveries");
    await quiet.flush();
    assert.deepEqual(mine.data(), ["2"]);
  });

  test("max payload: announced in INFO and enforced by the client", async () => {
    const nc = await client();
    assert.equal(nc.info?.max_payload, 64 * 1024);
    assert.throws(() => nc.publish("big", new Uint8Array(64 * 1024 + 1)), /max_payload/);
    const got = record(nc, "big");
    await nc.flush();
    nc.publish("big", new Uint8Array(64 * 1024));
    await waitFor(() => got.msgs.length === 1, "max-size message");
    assert.equal(got.msgs[0]?.data.length, 64 * 1024);
  });

  test("unsubscribe with max: the broker stops delivering after max", async () => {
    const nc = await client();
    const before = broker.stats().subscriptions;
    const got = record(nc, "limited", { max: 3 });
    await nc.flush();
    assert.equal(broker.stats().subscriptions, before + 1);
    for (let i = 0; i < 6; i++) nc.publish("limited", String(i));
    await nc.flush();
    await waitFor(() => broker.stats().subscriptions === before, "auto-unsubscribe");
    assert.deepEqual(got.data(), ["0", "1", "2"]);
  });

  test("large messages: payloads above the zero-copy threshold arrive intact", async () => {
    const nc = await client();
    const got = record(nc, "bulk");
    await nc.flush();
    const payloads = [1, 1000, 32 * 1024, 60 * 1024].map((n) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff),
    );
    for (const p of payloads) nc.publish("bulk", p);
    await waitFor(() => got.msgs.length === payloads.length, "bulk messages");
    got.msgs.forEach((m, i) =>
      assert.ok(Buffer.from(m.data).equals(payloads[i] ?? Buffer.alloc(0))),
    );
  });
});

describe("token authentication", () => {
  let broker: Broker;
  before(async () => {
    broker = await Broker.start({ port: 0, token: "s3cret" });
  });
  after(() => broker.close());

  test("the right token connects", async () => {
    const nc = await connect({ servers: broker.url, token: "s3cret", timeout: 3000 });
    assert.equal(nc.info?.auth_required, true);
    const got = record(nc, "t");
    await nc.flush();
    nc.publish("t", "ok");
    await waitFor(() => got.msgs.length === 1, "message");
    await nc.close();
  });

  test("a wrong or missing token is refused", async () => {
    for (const token of ["wrong", undefined]) {
      const err = await within(
        connect({ servers: broker.url, token, timeout: 3000, reconnect: false }).then(
          async (nc) => {
            await nc.close();
            assert.fail("connect should fail");
          },
          (e: unknown) => e,
        ),
        "refused connect",
      );
      assert.ok(err instanceof AuthorizationError, `got ${String(err)}`);
    }
    await waitFor(() => broker.clientCount === 0, "refused clients to be gone");
  });
});

describe("reconnect", () => {
  test("a client reconnects to a new broker on the same port and its subscriptions work again", async () => {
    const first = await Broker.start({ port: 0 });
    const port = first.port;
    const nc = await connect({
      servers: first.url,
      reconnectTimeWait: 50,
      maxReconnectAttempts: -1,
      timeout: 3000,
    });
    try {
      const got = record(nc, "re.x");
      await nc.flush();
      nc.publish("re.x", "before");
      await waitFor(() => got.msgs.length === 1, "first message");

      await first.close();
      const second = await Broker.start({ port });
      try {
        // The client re-sends its SUBs on reconnect.
        await waitFor(() => second.stats().subscriptions >= 1, "resubscription", 5000);
        const pub = await connect({ servers: second.url, timeout: 3000 });
        pub.publish("re.x", "after");
        await pub.flush();
        await waitFor(() => got.msgs.length === 2, "message after reconnect");
        assert.deepEqual(got.data(), ["before", "after"]);
        await pub.close();
      } finally {
        await nc.close();
        await second.close();
      }
    } finally {
      await first.close();
    }
  });
});
