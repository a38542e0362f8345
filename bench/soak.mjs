// Soak run for resgate-ts: the gateway process under sustained abuse, with its memory,
// sockets and descriptors sampled. Bounded in time, loopback only.
//
//   npm run soak             # 100 000 fuzzed frames, 20 000 churn cycles, 60 s storm
//   npm run soak -- --quick  # a short version (about 20 s)
//
// Uses the compiled test support of packages/gateway (run `npm run build` first; the
// npm script does). Prints a table and writes bench/out/soak.json.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";

const support = join(import.meta.dirname, "..", "packages", "gateway", "dist", "test", "support");
const { GatewayProcess } = await import(join(support, "gateway-process.js"));
const { NatsServer, freePort } = await import(join(support, "nats-server.js"));
const { ScriptedService } = await import(join(support, "service.js"));
const { TestClient } = await import(join(support, "ws-client.js"));
const { fuzzFrame, stormEvent, stormReply } = await import(join(support, "fuzz.js"));
const { rng, pick } = await import(join(support, "random.js"));

const quick = process.argv.includes("--quick");
const FRAMES = quick ? 10_000 : 100_000;
const CHURN = quick ? 2_000 : 20_000;
const STORM_MS = quick ? 10_000 : 60_000;

// `--only storm` (or fuzz, churn) runs one phase.
const only = process.argv.includes("--only")
  ? process.argv[process.argv.indexOf("--only") + 1]
  : "";
const runs = (name) => only === "" || only === name;

// The storm sends multi-megabyte replies: NATS is configured to carry them (8 MiB, the
// gateway's own limit), as a deployment with large resources would be.
const confDir = mkdtempSync(join(tmpdir(), "soak-nats-"));
writeFileSync(join(confDir, "nats.conf"), "max_payload: 8MB\n");
const nats = await NatsServer.start({ args: ["-c", join(confDir, "nats.conf")] });
const metricsPort = await freePort();
const gw = await GatewayProcess.start(nats.url, ["-m", String(metricsPort)]);
const service = await ScriptedService.connect(nats.url);
// Anything not handled below is answered at once (and nothing is kept: the scripted
// service's log is cleared as the run goes, so that the soak process stays small).
service.handle(">", (r) => r.error("system.notFound", "Not found"));
service.handle("access.soak.>", (r) => r.access(true, "*"));
setInterval(() => (service.log.length = 0), 1000).unref();
service.handle("get.soak.model", (r) => r.model({ n: 1 }));

const MB = 1024 * 1024;
let peak = 0;
const sampler = setInterval(() => {
  try {
    peak = Math.max(peak, gw.rss());
  } catch {
    /* the process is gone; reported below */
  }
}, 100);

// The heap and external (Buffer) memory, from the gateway's own metrics.
async function heapMB() {
  try {
    const text = await (await globalThis.fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const read = (name) => Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? 0);
    return {
      heap: Number((read("nodejs_heap_size_used_bytes") / MB).toFixed(1)),
      external: Number((read("nodejs_external_memory_bytes") / MB).toFixed(1)),
    };
  } catch {
    return { heap: NaN, external: NaN };
  }
}
let peakHeap = 0;
const heapSampler = setInterval(() => {
  void heapMB().then((m) => {
    // A reading the busy gateway did not answer in time (NaN) is skipped.
    if (m.heap + m.external > peakHeap) peakHeap = m.heap + m.external;
  });
}, 2000);

/** Anonymous resident memory (RSS without the pages mapped from the node binary). */
function anonMB() {
  const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${gw.pid}/status`, "utf8"));
  return m ? Number((Number(m[1]) / 1024).toFixed(1)) : NaN;
}

const rows = [];
async function phase(name, ops, fn) {
  peak = gw.rss();
  peakHeap = 0;
  const start = Date.now();
  await fn();
  const seconds = (Date.now() - start) / 1000;
  // Past the 5 s cache eviction delay and the idle collector's next check (every 2 s).
  await new Promise((r) => setTimeout(r, 10_000));
  rows.push({
    phase: name,
    ops,
    seconds: Number(seconds.toFixed(1)),
    peakRssMB: Number((peak / MB).toFixed(1)),
    afterRssMB: Number((gw.rss() / MB).toFixed(1)),
    afterAnonMB: anonMB(),
    peakHeapExtMB: Number(peakHeap.toFixed(1)),
    afterHeapExtMB: await heapMB().then((m) => Number((m.heap + m.external).toFixed(1))),
    closeWait: gw.socketsInState("08"),
    fds: gw.fdCount(),
    alive: gw.child.exitCode === null,
  });
}

await new Promise((r) => setTimeout(r, 500));
rows.push({
  phase: "idle",
  ops: 0,
  seconds: 0,
  peakRssMB: Number((gw.rss() / MB).toFixed(1)),
  afterRssMB: Number((gw.rss() / MB).toFixed(1)),
  afterAnonMB: anonMB(),
  closeWait: gw.socketsInState("08"),
  fds: gw.fdCount(),
  alive: true,
});

if (runs("fuzz"))
  await phase("fuzzed frames", FRAMES, async () => {
    const r = rng(1);
    let c = await TestClient.connect(gw.wsUrl);
    for (let n = 0; n < FRAMES; n++) {
      if (c.ws.readyState !== 1) c = await TestClient.connect(gw.wsUrl);
      const f = fuzzFrame(r, n);
      c.send(f.data, f.binary);
      if (c.frames.length > 1000) c.frames.length = 0;
      if (n % 200 === 0) await new Promise((res) => setImmediate(res));
      // The gateway stops reading a client with too many requests in flight: like a
      // real client, this one waits for its socket to drain rather than queue without
      // bound (it would run out of memory itself).
      const waitUntil = Date.now() + 30_000;
      while (c.ws.readyState === 1 && c.ws.bufferedAmount > 16 * MB) {
        if (Date.now() > waitUntil) throw new Error("the gateway stopped reading for 30 s");
        await new Promise((res) => setTimeout(res, 5));
      }
    }
    c.close();
  });

if (runs("churn"))
  await phase("connect/disconnect churn", CHURN, async () => {
    for (let i = 0; i < CHURN; i++) {
      const how = i % 3;
      if (how === 2) {
        await new Promise((resolve) => {
          const s = tcpConnect({ host: "127.0.0.1", port: gw.port }, () =>
            s.write(
              "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            ),
          );
          s.once("data", () => s.end());
          s.once("close", resolve);
          s.once("error", resolve);
        });
        continue;
      }
      const c = await TestClient.connect(gw.wsUrl);
      await c.request("subscribe.soak.model");
      if (how === 0) {
        c.close();
        await c.closed;
      } else {
        c.ws.terminate();
      }
    }
  });

let stormOps = 0;
if (runs("storm")) {
  await phase("hostile service storm", 0, async () => {
    const r = rng(2);
    service.handle("get.soak.h.>", (q) => {
      const n = Number(q.subject.slice("get.soak.h.".length));
      q.respondRaw(stormReply("soak.h", n, r));
    });
    const clients = [];
    for (let i = 0; i < 20; i++) clients.push(await TestClient.connect(gw.wsUrl));
    const deadline = Date.now() + STORM_MS;
    let ops = 0;
    // Every client keeps 50 subscribes out while the service sends hostile events.
    await Promise.all(
      clients.map(async (c) => {
        while (Date.now() < deadline) {
          const ids = [];
          const rids = Array.from({ length: 50 }, () => `soak.h.${pick(r, 5000)}`);
          for (const rid of rids) ids.push(c.sendRequest(`subscribe.${rid}`));
          for (let k = 0; k < 20; k++) {
            const e = stormEvent(r);
            service.event(`soak.h.${pick(r, 5000)}`, e.name, undefined, e.payload);
          }
          // Megabytes of events a batch: the service waits for NATS to take them before
          // the next batch, as a real one would (its client buffers without bound).
          await service.flush();
          // Each batch lets go of what it subscribed, as real clients come and go, so
          // that memory measures hostile input rather than data the clients still hold.
          const held = [];
          for (const [i, id] of ids.entries()) {
            const resp = await c.response(id, 10_000).catch(() => undefined);
            if (resp?.result !== undefined) held.push(rids[i]);
          }
          const unsubs = held.map((rid) => c.sendRequest(`unsubscribe.${rid}`));
          for (const id of unsubs) await c.response(id, 10_000).catch(() => undefined);
          c.frames.length = 0;
          while (c.pendingEvents().length > 0) {
            await c.nextEvent(undefined, 1).catch(() => undefined);
          }
          ops += 70;
        }
      }),
    );
    for (const c of clients) c.close();
    stormOps = ops;
  });
  rows[rows.length - 1].ops = stormOps;
}

clearInterval(sampler);
clearInterval(heapSampler);
await service.close();
const code = await gw.stop();
await nats.stop();
rmSync(confDir, { recursive: true, force: true });

console.log(`\nresgate-ts soak (${quick ? "quick" : "full"}), ${new Date().toISOString()}\n`);
console.table(rows);
console.log(`gateway exit code after SIGTERM: ${code}`);
mkdirSync(join(import.meta.dirname, "out"), { recursive: true });
writeFileSync(
  join(import.meta.dirname, "out", "soak.json"),
  JSON.stringify({ quick, rows, exitCode: code }, null, 2),
);
