// The gateway process from outside: SIGTERM/SIGINT close WebSockets with 1001, end
// event streams, let HTTP requests in flight finish, drain NATS and exit 0 within a
// bounded time; -V logs every client, HTTP and NATS message, never a token.
import assert from "node:assert/strict";
import { connect as tcpConnect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import { GatewayProcess } from "../support/gateway-process.js";
import { http } from "../support/http.js";
import { NatsServer } from "../support/nats-server.js";
import { ScriptedService } from "../support/service.js";
import { SseClient } from "../support/sse.js";

let nats: NatsServer;
let service: ScriptedService;
before(async () => {
  nats = await NatsServer.start();
  service = await ScriptedService.connect(nats.url);
});
after(async () => {
  await service.close();
  await nats.stop();
});

function exited(g: GatewayProcess): Promise<number | null> {
  const c = g.child;
  if (c.exitCode !== null) return Promise.resolve(c.exitCode);
  return new Promise((resolve) => c.once("exit", (code) => resolve(code)));
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

function openWs(url: string): Promise<{ ws: WebSocket; closed: Promise<[number, string]> }> {
  return within(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const closed = new Promise<[number, string]>((r) =>
        ws.once("close", (code, reason) => r([code, reason.toString()])),
      );
      ws.once("open", () => resolve({ ws, closed }));
      ws.once("error", reject);
    }),
    3000,
    "WebSocket open",
  );
}

let n = 0;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal}: 1001 to WebSockets, streams ended, requests in flight answered, exit 0`, async () => {
    const p = `life${++n}`;
    const g = await GatewayProcess.start(nats.url);
    try {
      const base = `http://127.0.0.1:${g.port}`;
      service.serveModel(`${p}.stream`, { n: 1 });
      const { ws, closed } = await openWs(g.wsUrl);
      const sse = await SseClient.open(`${base}/api/${p}/stream`);
      assert.equal((await sse.client.next()).event, "resource");

      // A GET whose get request is held by the service while the gateway stops.
      service.handle(`access.${p}.slow`, (r) => r.access(true));
      const pending = http(base, "GET", `/api/${p}/slow`, { timeoutMs: 5000 });
      const get = await service.next(`get.${p}.slow`);

      const started = Date.now();
      assert.ok(g.child.kill(signal));
      assert.deepEqual(await within(closed, 3000, "WebSocket close"), [
        1001,
        "Server is shutting down",
      ]);
      await sse.client.closed();
      // The request in flight still gets its answer.
      await new Promise((r) => setTimeout(r, 200));
      get.model({ late: true });
      const r = await pending;
      assert.equal(r.status, 200);
      assert.equal(r.body, '{"late":true}');
      assert.equal(await within(exited(g), 5000, "exit"), 0, g.output);
      assert.ok(Date.now() - started < 5000);
      ws.terminate();
    } finally {
      await g.stop();
    }
  });
}

test("a WebSocket client that never answers the close does not hold the exit up", async () => {
  const g = await GatewayProcess.start(nats.url);
  let s: Socket | undefined;
  try {
    s = await new Promise<Socket>((resolve, reject) => {
      const sock = tcpConnect({ host: "127.0.0.1", port: g.port }, () =>
        sock.write(
          "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        ),
      );
      sock.once("data", () => resolve(sock));
      sock.once("error", reject);
    });
    s.pause();
    const started = Date.now();
    g.child.kill("SIGTERM");
    assert.equal(await within(exited(g), 6000, "exit"), 0, g.output);
    // Cut off at the 3 s shutdown deadline.
    assert.ok(Date.now() - started < 4500, `took ${Date.now() - started} ms`);
  } finally {
    s?.destroy();
    await g.stop();
  }
});

describe("-V trace logging", () => {
  test("client frames, HTTP requests and NATS messages are logged; tokens and cookies never", async () => {
    const g = await GatewayProcess.start(nats.url, ["-V", "-u", "tracevault.login"]);
    try {
      const secret = "secret-token-4242";
      service.handle("auth.trace.login", (r) => {
        service.token(r.cid, { user: "ann", key: secret });
        void service.flush().then(() => r.result(null));
      });
      service.handle("auth.tracevault.login", (r) => {
        service.token(r.cid, secret);
        void service.flush().then(() => r.result(null));
      });
      service.serveModel("trace.model", { n: 1 });
      const { ws } = await openWs(g.wsUrl);
      const reply = (text: string) =>
        within(
          new Promise<string>((resolve) => {
            ws.once("message", (d: Buffer) => resolve(d.toString()));
            ws.send(text);
          }),
          3000,
          "reply",
        );
      await reply('{"id":1,"method":"auth.trace.login","params":{"password":"pw"}}');
      await reply('{"id":2,"method":"subscribe.trace.model"}');
      const r = await http(`http://127.0.0.1:${g.port}`, "GET", "/api/trace/model", {
        headers: { Cookie: "session=cookie-secret-99", Authorization: "Bearer bearer-secret-77" },
      });
      assert.equal(r.status, 200);
      ws.close();
      await new Promise((res) => setTimeout(res, 200));
      const out = g.output;
      for (const needle of [
        '"msg":"-->"',
        '"msg":"<--"',
        '"msg":"nats request"',
        '"msg":"nats reply"',
        '"msg":"nats message"',
        '"msg":"http -->"',
        '"msg":"http <--"',
        "subscribe.trace.model",
        "access.trace.model",
        ".token",
        "[redacted]",
      ]) {
        assert.ok(out.includes(needle), `the trace log lacks ${needle}`);
      }
      for (const secretText of [secret, "cookie-secret-99", "bearer-secret-77"]) {
        assert.ok(!out.includes(secretText), `the trace log shows ${secretText}`);
      }
    } finally {
      await g.stop();
    }
  });
});
