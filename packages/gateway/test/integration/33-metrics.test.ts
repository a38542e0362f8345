// Metrics on -m/--metricsport (Resgate's test/33metrics_test.go): Resgate's metric
// names and labels in OpenMetrics text, our own latency and state metrics, and
// Node's process metrics. Counters are compared before and after known traffic.
import assert from "node:assert/strict";
import { connect as tcpConnect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { TestEnv } from "../support/env.js";
import { http } from "../support/http.js";
import { sample, scrape, waitForSample, type Scrape } from "../support/metrics.js";
import { freePort } from "../support/nats-server.js";
import { ExtraGateway, waitUntil } from "../support/request-basics-helpers.js";

let env: TestEnv;
let port = 0;
before(async () => {
  port = await freePort();
  env = await TestEnv.start({
    config: { metricsPort: port },
    unsubscribeDelayMs: 50,
    maxOutgoingBytes: 64 * 1024,
  });
});
after(async () => {
  await env.stop();
});

const WS = (m: string) => `resgate_ws_requests_total{method="${m}"}`;
const HTTP = (m: string) => `resgate_http_requests_total{method="${m}"}`;

test("a first scrape: Resgate's metrics at zero, in OpenMetrics text", async () => {
  const s = await scrape(port);
  assert.equal(s.contentType, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  const lines = s.text.split("\n");
  for (const line of [
    "# TYPE resgate info",
    'resgate_info{version="0.1.0",protocol="1.2.3"} 1',
    "# TYPE resgate_ws_current_connections gauge",
    "resgate_ws_current_connections 0",
    "# TYPE resgate_ws_connections counter",
    "resgate_ws_connections_total 0",
    "# TYPE resgate_ws_requests counter",
    'resgate_ws_requests_total{method="get"} 0',
    'resgate_ws_requests_total{method="subscribe"} 0',
    'resgate_ws_requests_total{method="unsubscribe"} 0',
    'resgate_ws_requests_total{method="call"} 0',
    'resgate_ws_requests_total{method="auth"} 0',
    "# TYPE resgate_http_requests counter",
    'resgate_http_requests_total{method="GET"} 0',
    'resgate_http_requests_total{method="POST"} 0',
    "# TYPE resgate_cache_resources gauge",
    "resgate_cache_resources 0",
    "# TYPE resgate_cache_subscriptions gauge",
    "resgate_cache_subscriptions 0",
    "# TYPE resgate_nats_connected gauge",
    "resgate_nats_connected 1",
    "# TYPE resgate_ws_slow_consumer_disconnects counter",
    "resgate_ws_slow_consumer_disconnects_total 0",
    "# TYPE resgate_event_fanout_seconds histogram",
    "# TYPE resgate_nats_request_duration_seconds histogram",
    "# TYPE process_resident_memory_bytes gauge",
  ]) {
    assert.ok(lines.includes(line), `missing line: ${line}`);
  }
  assert.ok(sample(s, "process_resident_memory_bytes") > 0);
  assert.ok([...s.samples.keys()].some((k) => k.startsWith("nodejs_version_info{")));
  assert.equal(lines.filter((l) => l !== "").at(-1), "# EOF");
});

test("other paths of the metrics port are 404", async () => {
  for (const path of ["/", "/metrics/", "/metricsx"]) {
    const r = await http(`http://127.0.0.1:${port}`, "GET", path);
    assert.equal(r.status, 404, path);
    assert.equal(r.body, "404 page not found\n");
  }
});

test("WebSocket connections: current and total", async (t) => {
  const before = await scrape(port);
  const total = sample(before, "resgate_ws_connections_total");
  const current = sample(before, "resgate_ws_current_connections");
  const c1 = await env.connect(t);
  await env.connect(t);
  c1.close();
  await waitUntil(() => env.gateway.connections === current + 1, "c1 to go");
  await env.connect(t);
  const s = await scrape(port);
  assert.equal(sample(s, "resgate_ws_current_connections"), current + 2);
  assert.equal(sample(s, "resgate_ws_connections_total"), total + 3);
});

test("WebSocket requests by method; new counts as call", async (t) => {
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, { a: 1 });
  env.service.handle(`call.${p}.model.>`, (r) => r.result(null));
  env.service.handle(`auth.${p}.>`, (r) => r.result(null));
  const before = await scrape(port);
  const c = await env.connect(t);
  await c.result(`get.${p}.model`);
  await c.result(`subscribe.${p}.model`);
  await c.request(`unsubscribe.${p}.model`);
  await c.result(`call.${p}.model.method`);
  await c.request(`new.${p}.model`);
  await c.result(`auth.${p}.login.method`);
  // Invalid requests are not counted.
  await c.request("get.a..b");
  const s = await scrape(port);
  const delta = (k: string) => sample(s, k) - sample(before, k);
  assert.deepEqual(
    ["get", "subscribe", "unsubscribe", "call", "auth"].map((m) => delta(WS(m))),
    [1, 1, 1, 2, 1],
  );
});

describe("HTTP requests by method", () => {
  test("GET (HEAD included) and POST", async () => {
    const p = env.prefix();
    env.service.serveModel(`${p}.model`, { a: 1 });
    env.service.handle(`call.${p}.model.method`, (r) => r.result(null));
    const before = await scrape(port);
    await http(env.httpUrl, "GET", `/api/${p}/model`);
    await http(env.httpUrl, "HEAD", `/api/${p}/model`);
    await http(env.httpUrl, "GET", "/api/not.valid");
    await http(env.httpUrl, "POST", `/api/${p}/model/method`);
    await http(env.httpUrl, "OPTIONS", `/api/${p}/model`);
    const s = await scrape(port);
    assert.equal(sample(s, HTTP("GET")) - sample(before, HTTP("GET")), 3);
    assert.equal(sample(s, HTTP("POST")) - sample(before, HTTP("POST")), 1);
  });

  test("PUT, DELETE and PATCH when mapped", async () => {
    const mport = await freePort();
    const g = await ExtraGateway.onEnv(env, {
      metricsPort: mport,
      putMethod: "put",
      deleteMethod: "delete",
      patchMethod: "patch",
    });
    try {
      const p = env.prefix();
      env.service.handle(`access.${p}.model`, (r) => r.access(true, "*"));
      env.service.handle(`call.${p}.model.>`, (r) => r.result(null));
      const url = `http://127.0.0.1:${g.gateway.address().port}`;
      for (const m of ["PUT", "DELETE", "PATCH", "PATCH"]) {
        assert.equal((await http(url, m, `/api/${p}/model`)).status, 204);
      }
      const s = await scrape(mport);
      assert.deepEqual(
        ["PUT", "DELETE", "PATCH", "GET"].map((m) => sample(s, HTTP(m))),
        [1, 1, 2, 0],
      );
    } finally {
      await g.stop();
    }
  });
});

describe("cache gauges", () => {
  /** Waits until every resource has left the cache (the unsubscribe delay is 50 ms). */
  async function emptyCache(): Promise<void> {
    await waitForSample(port, "resgate_cache_resources", 0);
    await waitForSample(port, "resgate_cache_subscriptions", 0);
  }
  async function gauges(): Promise<[number, number]> {
    const s: Scrape = await scrape(port);
    return [sample(s, "resgate_cache_resources"), sample(s, "resgate_cache_subscriptions")];
  }

  test("a model, a parent, two connections, unsubscribe and eviction", async (t) => {
    await emptyCache();
    const p = env.prefix();
    env.service.serveModel(`${p}.model`, { a: 1 });
    env.service.serveModel(`${p}.parent`, { child: { rid: `${p}.model` } });
    const c = await env.connect(t);
    await c.result(`subscribe.${p}.model`);
    assert.deepEqual(await gauges(), [1, 1]);
    await c.result(`subscribe.${p}.parent`);
    // The parent is a resource with a subscription; the client's reference to the
    // model is a use of its own subscription, not another.
    assert.deepEqual(await gauges(), [2, 2]);
    const c2 = await env.connect(t);
    await c2.result(`subscribe.${p}.model`);
    assert.deepEqual(await gauges(), [2, 3]);
    c2.close();
    await c.request(`unsubscribe.${p}.parent`);
    await waitForSample(port, "resgate_cache_subscriptions", 1);
    await c.request(`unsubscribe.${p}.model`);
    await emptyCache();
  });
});

test("our own: event fan-out latency and NATS request latency by type", async (t) => {
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, { n: 0 });
  const before = await scrape(port);
  const c = await env.connect(t);
  await c.result(`subscribe.${p}.model`);
  for (let i = 1; i <= 3; i++) env.service.event(`${p}.model`, "change", { values: { n: i } });
  for (let i = 1; i <= 3; i++) await c.nextEvent(`${p}.model.change`);
  const s = await scrape(port);
  const delta = (k: string) => sample(s, k) - sample(before, k);
  assert.equal(delta("resgate_event_fanout_seconds_count"), 3);
  assert.equal(delta('resgate_nats_request_duration_seconds_count{type="access"}'), 1);
  assert.equal(delta('resgate_nats_request_duration_seconds_count{type="get"}'), 1);
  assert.ok(delta('resgate_nats_request_duration_seconds_sum{type="get"}') > 0);
  assert.ok(sample(s, 'resgate_event_fanout_seconds_bucket{le="+Inf"}') >= 3);
});

/** A WebSocket client made by hand, whose socket can stop reading. */
function rawClient(wsPort: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: "127.0.0.1", port: wsPort }, () =>
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

test("a slow client that is cut off is counted", async () => {
  const p = env.prefix();
  env.service.serveModel(`${p}.blob`, { n: 0 });
  const slow = await rawClient(env.gateway.address().port);
  slow.on("data", () => undefined);
  const text = Buffer.from(JSON.stringify({ id: 1, method: `subscribe.${p}.blob` }));
  const mask = Buffer.from([0, 0, 0, 0]);
  slow.write(Buffer.concat([Buffer.from([0x81, 0x80 | text.length]), mask, text]));
  await waitUntil(() => env.service.requests(`get.${p}.blob`).length === 1, "the subscription");
  await new Promise((r) => setTimeout(r, 100));
  slow.pause();
  const before = await scrape(port);
  for (let i = 1; i <= 200; i++) {
    env.service.event(`${p}.blob`, "change", { values: { blob: String(i).padEnd(64_000, "x") } });
  }
  await env.service.flush();
  await waitForSample(
    port,
    "resgate_ws_slow_consumer_disconnects_total",
    sample(before, "resgate_ws_slow_consumer_disconnects_total") + 1,
    8000,
  );
  slow.destroy();
});

test("NATS connection state follows the connection", async () => {
  assert.equal(sample(await scrape(port), "resgate_nats_connected"), 1);
  await env.nats.stop();
  await waitForSample(port, "resgate_nats_connected", 0, 5000);
});
