// A client that stops reading is cut off once its outgoing buffer passes the limit,
// with close code 1008, while every other client receives every event.
import assert from "node:assert/strict";
import { connect as tcpConnect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";
import type { TestClient } from "../support/ws-client.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start({ maxOutgoingBytes: 1024 * 1024 });
});
after(async () => {
  await env.stop();
});

/** A WebSocket client made by hand, whose socket can stop reading. */
function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: "127.0.0.1", port }, () =>
      s.write(
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      ),
    );
    s.once("data", (d: Buffer) => {
      if (!d.toString().startsWith("HTTP/1.1 101")) reject(new Error(d.toString()));
      else resolve(s);
    });
    s.once("error", reject);
  });
}

/** A masked client text frame. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const head =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0xfe, payload.length >> 8, payload.length & 255]);
  const body = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([head, mask, body]);
}

/** The close code of the first close frame in a stream of server frames, if any. */
function closeCode(stream: Buffer): number | undefined {
  let at = 0;
  while (at + 2 <= stream.length) {
    const opcode = (stream[at] ?? 0) & 0x0f;
    let len = (stream[at + 1] ?? 0) & 0x7f;
    let head = 2;
    if (len === 126) {
      len = stream.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      len = Number(stream.readBigUInt64BE(at + 2));
      head = 10;
    }
    if (at + head + len > stream.length) return undefined;
    if (opcode === 8) return stream.readUInt16BE(at + head);
    at += head + len;
  }
  return undefined;
}

test("a client that stops reading is cut off; 100 others get every event", async (t) => {
  const p = env.prefix("slow");
  const feed = `${p}.feed`;
  const firehose = `${p}.firehose`;
  env.service.serveModel(feed, { n: 0 });
  env.service.serveModel(firehose, { n: 0 });

  const others: TestClient[] = [];
  for (let i = 0; i < 100; i++) {
    const c = await env.connect(t);
    await c.result(`subscribe.${feed}`);
    others.push(c);
  }
  // The slow client also follows a resource with large events, so that it falls
  // behind by megabytes while the others' traffic stays light.
  const slow = await rawClient(env.gateway.address().port);
  const chunks: Buffer[] = [];
  slow.on("data", (d: Buffer) => chunks.push(d));
  slow.write(frame(JSON.stringify({ id: 1, method: `subscribe.${feed}` })));
  slow.write(frame(JSON.stringify({ id: 2, method: `subscribe.${firehose}` })));
  await new Promise((r) => setTimeout(r, 300));
  slow.pause(); // stops reading: the kernel buffers fill, then the gateway's queue
  const closed = new Promise<void>((resolve) => slow.once("close", () => resolve()));

  const events = 300;
  const size = 32_000;
  for (let i = 1; i <= events; i++) {
    env.service.event(feed, "change", { values: { n: i } });
    // Each firehose event changes its blob, so each one carries 32 kB.
    env.service.event(firehose, "change", { values: { blob: String(i).padEnd(size, "x") } });
  }
  await env.service.flush();

  // Every other client receives every event, in order.
  for (const c of others) {
    for (let i = 1; i <= events; i++) {
      const ev = await c.nextEvent(`${feed}.change`, 10_000);
      assert.deepEqual(ev.data, { values: { n: i } });
    }
  }
  slow.resume(); // reads what was queued before the cut-off, then the close frame
  await Promise.race([closed, new Promise((r) => setTimeout(r, 8000))]);
  const stream = Buffer.concat(chunks);
  assert.ok(stream.length < events * size, "the slow client did not get every event");
  assert.equal(closeCode(stream), 1008);
  assert.ok(slow.destroyed || slow.readableEnded, "the slow client's socket is closed");
  // The gateway lets go of it too, at the latest after the grace period.
  const deadline = Date.now() + 8000;
  while (env.gateway.connections > 100 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(env.gateway.connections, 100);
});
