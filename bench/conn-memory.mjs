// Memory per idle WebSocket connection, in-process and without timing: resgate-ts
// against a bare `ws` server, each holding N connections that have each subscribed to
// ten resources (mem.0 … mem.9). Each server runs in its own child process started with
// --expose-gc; the clients live in this process, so that only the server's memory is
// counted. Heap and external memory are read after forced collections, with one warm
// connection open before and after (so that the ten cached resources are not counted
// per connection), after a warm-up of N connections opened and closed (so that compiled
// code is not either). RSS is printed for information only: after the warm-up it shows
// little more than the pages the heap had to add; --cold skips the warm-up (RSS then
// counts the heap's growth and what the first connections compiled).
//
//   npx tsc -b && node bench/conn-memory.mjs [--conns N] [--snapshot] [--only gateway|ws]
//     [--idle-ms MS] [--cold]
//
// The heap is read twice: 300 ms after the last subscribe, and after an idle pause
// (--idle-ms, 3.5 s by default: past the 3 s request timeout) — the figure that counts.
//
// --snapshot also writes heap snapshots of each server before and after the connections
// and prints, per connection, the object kinds that grew (bench/heap-summary.mjs);
// --retainers does so with each kind's first retainer; --keep keeps the snapshot files.
// Loopback only; nats-server is spawned on a free port and stopped by PID at the end.
import { fork } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";

const RESOURCES = 10;
const support = join(import.meta.dirname, "..", "packages", "gateway", "dist", "test", "support");
const argv = process.argv.slice(2);

if (argv[0] === "--server") await serve(argv[1], argv[2]);
else await main();

// ---- the server child ------------------------------------------------------------

/** Runs one server (gateway or bare ws) and answers the parent's measuring requests. */
async function serve(kind, natsUrl) {
  const v8 = await import("node:v8");
  let port;
  if (kind === "gateway") {
    const { Gateway, defaultConfig } = await import(
      join(import.meta.dirname, "..", "packages", "gateway", "dist", "src", "index.js")
    );
    const { pino } = await import("pino");
    const gateway = new Gateway(
      { ...defaultConfig(), natsUrl, addr: "127.0.0.1", port: 0 },
      { logger: pino({ level: "silent" }) },
    );
    await gateway.start();
    port = gateway.address().port;
  } else {
    const { WebSocketServer } = await import("ws");
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
    // Answers every request with an empty result, as bench/baseline-ws.mjs does.
    wss.on("connection", (ws) => {
      ws.on("message", (data) => {
        const m = /"id":(\d+)/.exec(data.toString());
        if (m) ws.send(`{"result":{},"id":${m[1]}}`);
      });
      ws.on("error", () => undefined);
    });
    await new Promise((resolve) => wss.once("listening", resolve));
    port = wss.address().port;
  }
  process.on("message", (msg) => {
    if (msg.cmd === "measure") {
      for (let i = 0; i < 4; i++) globalThis.gc();
      const m = process.memoryUsage();
      // The young generation's pages: part of RSS that is not live heap.
      const young = v8
        .getHeapSpaceStatistics()
        .filter((s) => s.space_name === "new_space" || s.space_name === "new_large_object_space")
        .reduce((n, s) => n + s.physical_space_size, 0);
      process.send({ heap: m.heapUsed, external: m.external, rss: m.rss, young });
    } else if (msg.cmd === "snapshot") {
      process.send({ file: v8.writeHeapSnapshot(msg.file) });
    }
  });
  process.send({ port });
}

// ---- the parent: clients and measuring ---------------------------------------------

async function main() {
  const option = (name, dflt) => {
    const i = argv.indexOf(name);
    return i < 0 ? dflt : argv[i + 1];
  };
  const conns = Number(option("--conns", 1000));
  const only = option("--only", "");
  const idleMs = Number(option("--idle-ms", 3500));
  const cold = argv.includes("--cold");
  const snapshot = argv.includes("--snapshot") || argv.includes("--retainers");
  const summary = { retainers: argv.includes("--retainers"), keep: argv.includes("--keep") };

  const { NatsServer } = await import(join(support, "nats-server.js"));
  const { ScriptedService } = await import(join(support, "service.js"));
  const nats = await NatsServer.start();
  const service = await ScriptedService.connect(nats.url);
  service.handle("access.mem.>", (r) => r.access(true, "*"));
  service.handle("get.mem.>", (r) => r.model({ name: r.subject.slice(4), n: 1, on: true }));
  // The service keeps every request it answered; this run needs none of them.
  const trim = setInterval(() => (service.log.length = 0), 200);

  const results = {};
  try {
    for (const kind of ["ws", "gateway"]) {
      if (only !== "" && only !== kind) continue;
      results[kind] = await measureServer(
        kind,
        nats.url,
        { conns, idleMs, cold },
        snapshot && summary,
      );
    }
  } finally {
    clearInterval(trim);
    await service.close().catch(() => undefined);
    await nats.stop();
  }

  console.log(`\nper connection, ${conns} connections × ${RESOURCES} subscriptions:`);
  const cols = ["heap B (idle)", "heap B (300 ms)", "external B", "rss B"];
  console.log(["server".padEnd(10), ...cols.map((c) => c.padStart(16))].join(" "));
  for (const [kind, r] of Object.entries(results)) {
    const values = [r.heap, r.busy, r.external, r.rss].map((v) => v.toFixed(0).padStart(16));
    console.log([kind.padEnd(10), ...values].join(" "));
  }
  if (results.ws && results.gateway) {
    console.log(`heap ratio gateway/ws: ${(results.gateway.heap / results.ws.heap).toFixed(2)}`);
  }
}

/** Starts one server child, opens the connections, and returns its growth per connection. */
async function measureServer(kind, natsUrl, { conns, idleMs, cold }, snapshot) {
  const child = fork(import.meta.filename, ["--server", kind, natsUrl], {
    execArgv: ["--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const replies = [];
  const waiting = [];
  child.on("message", (m) => (waiting.length > 0 ? waiting.shift()(m) : replies.push(m)));
  const next = () =>
    replies.length > 0 ? Promise.resolve(replies.shift()) : new Promise((r) => waiting.push(r));
  const ask = (msg) => {
    child.send(msg);
    return next();
  };
  const clients = [];
  try {
    const { port } = await next();
    const url = kind === "gateway" ? `ws://127.0.0.1:${port}/` : `ws://127.0.0.1:${port}`;
    // One warm connection, open throughout: code is compiled and the resources cached.
    clients.push(await openClient(url));
    // Warm-up: as many connections opened and closed, so that the code the run needs is
    // compiled and optimized before the first measure (else it counts per connection).
    if (!cold) for (const ws of await openMany(url, conns)) ws.close();
    await new Promise((r) => setTimeout(r, idleMs));
    const before = await ask({ cmd: "measure" });
    const files = {
      before: join(tmpdir(), `conn-memory-${process.pid}-before.heapsnapshot`),
      after: join(tmpdir(), `conn-memory-${process.pid}-after.heapsnapshot`),
    };
    if (snapshot) await ask({ cmd: "snapshot", file: files.before });
    clients.push(...(await openMany(url, conns)));
    await settle();
    const busy = await ask({ cmd: "measure" });
    // Idle: past the request timeout (3 s), when nothing of the subscribing is left.
    await new Promise((r) => setTimeout(r, idleMs));
    const after = await ask({ cmd: "measure" });
    if (snapshot) await ask({ cmd: "snapshot", file: files.after });
    const per = {
      busy: (busy.heap - before.heap) / conns,
      heap: (after.heap - before.heap) / conns,
      external: (after.external - before.external) / conns,
      rss: (after.rss - before.rss) / conns,
    };
    console.log(
      `${kind}: heap ${before.heap} → ${busy.heap} (300 ms) → ${after.heap} B (idle), external ${before.external} → ${after.external} B, rss ${before.rss} → ${after.rss} B, young generation ${before.young} → ${after.young} B`,
    );
    if (snapshot) {
      const { summarize, growth, printGrowth } = await import("./heap-summary.mjs");
      console.log(`\n${kind}: heap snapshot growth per connection (self sizes):`);
      const opts = { retainers: snapshot.retainers };
      const rows = growth(summarize(files.after, opts), summarize(files.before, opts), conns);
      printGrowth(rows, snapshot.retainers ? 60 : 30);
      if (snapshot.keep) {
        console.log(`snapshots kept: ${files.before} ${files.after}`);
      } else {
        rmSync(files.before, { force: true });
        rmSync(files.after, { force: true });
      }
    }
    return per;
  } finally {
    for (const c of clients) c.terminate();
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  }
}

/** Opens `n` clients, 50 at a time. */
async function openMany(url, n) {
  const opened = [];
  for (let i = 0; i < n; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 50); j++) batch.push(openClient(url));
    opened.push(...(await Promise.all(batch)));
  }
  return opened;
}

/** Lets in-flight work finish (replies written, timers run) before measuring. */
function settle() {
  return new Promise((r) => setTimeout(r, 300));
}

/** Opens one client, sends version and ten subscribes, and waits for every reply. */
function openClient(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const t = setTimeout(() => reject(new Error("client timed out")), 20_000);
    let pending = RESOURCES + 1;
    ws.on("message", (data) => {
      const text = data.toString();
      if (!text.startsWith('{"result"') && !text.includes('"id"')) return;
      if (text.includes('"error"')) {
        clearTimeout(t);
        reject(new Error(`request failed: ${text}`));
        return;
      }
      if (--pending === 0) {
        clearTimeout(t);
        resolve(ws);
      }
    });
    ws.once("error", (err) => {
      clearTimeout(t);
      reject(err);
    });
    ws.once("open", () => {
      ws.send(`{"id":0,"method":"version","params":{"protocol":"1.2.3"}}`);
      for (let i = 0; i < RESOURCES; i++) {
        ws.send(`{"id":${i + 1},"method":"subscribe.mem.${i}"}`);
      }
    });
  });
}
