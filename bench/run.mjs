// resgate-ts benchmarks: fan-out, latency, request throughput, memory and start-up,
// each measured in the same run against a bare `ws` server sending the same bytes
// (our ceiling on this runtime) and, when GATEWAY_CMD names another RES gateway
// (a template with {nats} {port} {host}), against it too.
//
//   npm run bench             # full run (several minutes)
//   npm run bench -- --quick  # under a minute
//
// Prints a table per figure and writes bench/out/results.json. Loopback only; every
// process it starts is stopped by PID.
import { fork, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect, createServer } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";

const here = import.meta.dirname;
mkdirSync(join(here, "out"), { recursive: true });
const quick = process.argv.includes("--quick");
const CLI = join(here, "..", "packages", "gateway", "dist", "src", "cli.js");
const LOADGENS = 2;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: "127.0.0.1" });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/** Spawns a server process; resolves once its port accepts connections, with the time it took. */
async function startServer(name, cmd, args, { port, env = {} }) {
  const started = performance.now();
  const child = spawn(cmd, args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  let err = "";
  child.stderr.on("data", (d) => (err = (err + d).slice(-2000)));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${err}`);
    if (await portOpen(port)) break;
    if (performance.now() - started > 15_000) throw new Error(`${name} did not start`);
    await sleep(2);
  }
  return { name, child, port, startupMs: performance.now() - started };
}

async function stopServer(s) {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once("exit", (code, signal) => r(signal ?? code)));
  s.child.kill("SIGTERM");
  const t = setTimeout(() => s.child.kill("SIGKILL"), 12_000);
  const how = await exited;
  clearTimeout(t);
  if (how !== 0) console.error(`  ${s.name} exited with ${how}`);
}

function rssOf(pid) {
  // A cluster primary's workers hold the connections: count its children too.
  let total = 0;
  const pids = [pid];
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    if (kids) pids.push(...kids.split(/\s+/).map(Number));
  } catch {
    /* no children file */
  }
  for (const p of pids) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
    total += m ? Number(m[1]) * 1024 : 0;
  }
  return total;
}

class LoadGens {
  constructor(n) {
    this.procs = Array.from({ length: n }, () =>
      fork(join(here, "loadgen.mjs"), [], { stdio: "inherit" }),
    );
  }
  static async start(n) {
    const l = new LoadGens(n);
    await Promise.all(l.procs.map((p) => l.next(p, "ready")));
    return l;
  }
  next(p, type) {
    return new Promise((resolve, reject) => {
      const h = (m) => {
        if (m.type === "error") reject(new Error(m.message));
        else if (m.type === type) {
          p.off("message", h);
          resolve(m);
        }
      };
      p.on("message", h);
    });
  }
  async all(msg, reply) {
    const replies = this.procs.map((p) => this.next(p, reply));
    for (const p of this.procs) p.send(msg);
    return Promise.all(replies);
  }
  async connect(url, total, subscribe) {
    const per = Math.ceil(total / this.procs.length);
    const replies = this.procs.map((p) => this.next(p, "connected"));
    for (const p of this.procs) p.send({ type: "connect", url, count: per, subscribe });
    await Promise.all(replies);
  }
  close() {
    for (const p of this.procs) p.send({ type: "close" });
  }
}

// ---- the service side: access and get answers, and the event publisher ------------

const natsPort = await freePort();
const nats = await startServer(
  "nats-server",
  process.env.NATS_SERVER ?? "/usr/sbin/nats-server",
  ["-a", "127.0.0.1", "-p", String(natsPort)],
  { port: natsPort },
);
const natsUrl = `nats://127.0.0.1:${natsPort}`;
const nc = await connect({ servers: natsUrl });
nc.subscribe("access.bench.>", {
  callback: (_e, m) => m.respond('{"result":{"get":true,"call":"*"}}'),
});
nc.subscribe("get.bench.>", {
  callback: (_e, m) => m.respond('{"result":{"model":{"name":"bench","n":0}}}'),
});
await nc.flush();

function eventFrame(rid, payload) {
  return `{"event":"${rid}.custom","data":${payload}}`;
}

/** Publishes one event: through the gateway's event subject, or the frame itself to the baseline. */
function publish(target, payload) {
  if (target.baseline) nc.publish("baseline.broadcast", eventFrame("bench.model", payload));
  else nc.publish("event.bench.model.custom", payload);
}

function pad(size) {
  const base = `{"ts":${(performance.timeOrigin + performance.now()).toFixed(3)},"pad":""}`;
  return base.replace('"pad":""', `"pad":"${"x".repeat(Math.max(0, size - base.length))}"`);
}

// ---- the measurements ------------------------------------------------------------

async function fanout(target, conns, size) {
  const url = `ws://127.0.0.1:${target.port}/`;
  const lg = await LoadGens.start(LOADGENS);
  try {
    await lg.connect(url, conns, ["subscribe.bench.model"]);
    const perConn = Math.ceil(conns / LOADGENS);
    const budget = size > 1000 ? (quick ? 40_000 : 200_000) : quick ? 150_000 : 1_000_000;
    const events = Math.max(10, Math.ceil(budget / conns));
    await lg.all({ type: "count", target: events * perConn, latency: false }, "counting");
    const done = Promise.all(lg.procs.map((p) => lg.next(p, "done")));
    const start = performance.timeOrigin + performance.now();
    for (let i = 0; i < events; i++) {
      publish(target, pad(size));
      if (i % 50 === 49) await nc.flush();
    }
    await nc.flush();
    const finished = await Promise.race([done, sleep(60_000).then(() => undefined)]);
    const reports = await lg.all({ type: "report" }, "report");
    const received = reports.reduce((a, r) => a + r.received, 0);
    const end = Math.max(...reports.map((r) => r.lastAt));
    return {
      deliveriesPerSec: Math.round(received / ((end - start) / 1000)),
      complete: finished !== undefined,
      expected: events * perConn * LOADGENS,
      received,
    };
  } finally {
    lg.close();
    await sleep(300);
  }
}

async function latency(target, conns, rate, seconds) {
  const url = `ws://127.0.0.1:${target.port}/`;
  const lg = await LoadGens.start(LOADGENS);
  try {
    await lg.connect(url, conns, ["subscribe.bench.model"]);
    await lg.all({ type: "count", target: -1, latency: true }, "counting");
    const total = rate * seconds;
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      while (performance.now() < due) await sleep(Math.max(0, due - performance.now()));
      publish(target, pad(100));
      await nc.flush();
    }
    await sleep(500);
    const reports = await lg.all({ type: "report" }, "report");
    const all = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const q = (p) => all[Math.min(all.length - 1, Math.floor(p * all.length))] ?? NaN;
    return { p50: +q(0.5).toFixed(3), p99: +q(0.99).toFixed(3), samples: all.length };
  } finally {
    lg.close();
    await sleep(300);
  }
}

/** The server's live heap after a full GC, through bench/heap-probe.mjs (undefined without it). */
async function heapOf(target) {
  if (!target.heapFile) return undefined;
  rmSync(target.heapFile, { force: true });
  target.child.kill("SIGUSR2");
  for (let i = 0; i < 200; i++) {
    await sleep(25);
    try {
      return JSON.parse(readFileSync(target.heapFile, "utf8")).heapUsed;
    } catch {
      /* not written yet */
    }
  }
  return undefined;
}

/** The live heap once the server has finished earlier work (two readings agree). */
async function settledHeapOf(target) {
  let last = await heapOf(target);
  for (let i = 0; i < 10 && last !== undefined; i++) {
    await sleep(500);
    const now = await heapOf(target);
    if (now === undefined || Math.abs(now - last) < 256 * 1024) return now;
    last = now;
  }
  return last;
}

async function memory(target, conns) {
  const url = `ws://127.0.0.1:${target.port}/`;
  const subs = Array.from({ length: 10 }, (_, i) => `subscribe.bench.mem.${i}`);
  // A warm-up round of as many connections, closed again (and past the 5 s cache
  // eviction), so that code compiled once is not counted per connection.
  const warm = await LoadGens.start(LOADGENS);
  await warm.connect(url, conns, subs);
  warm.close();
  await sleep(6000);
  const heapBefore = await settledHeapOf(target);
  await sleep(1000);
  const before = rssOf(target.child.pid);
  const lg = await LoadGens.start(LOADGENS);
  try {
    await lg.connect(url, conns, subs);
    // Idle long enough for V8's memory reducer to collect the set-up garbage.
    await sleep(quick ? 4000 : 8000);
    // Both readings are taken after a full GC and a pause in which V8 returns pages.
    const heapAfter = await heapOf(target);
    await sleep(1000);
    const after = rssOf(target.child.pid);
    return {
      bytesPerConn: Math.round((after - before) / conns),
      heapBytesPerConn:
        heapBefore !== undefined && heapAfter !== undefined
          ? Math.round((heapAfter - heapBefore) / conns)
          : undefined,
      rssMB: +(after / 1048576).toFixed(1),
    };
  } finally {
    lg.close();
    await sleep(500);
  }
}

async function requests(target, method, seconds) {
  const url = `ws://127.0.0.1:${target.port}/`;
  const lg = await LoadGens.start(LOADGENS);
  try {
    await lg.connect(url, 20, []);
    const replies = await lg.all(
      { type: "requests", conns: 10, inFlight: 16, ms: seconds * 1000, method },
      "requests",
    );
    return { perSec: Math.round(replies.reduce((a, r) => a + r.done, 0) / seconds) };
  } finally {
    lg.close();
    await sleep(300);
  }
}

async function httpGets(target, seconds) {
  const lg = await LoadGens.start(LOADGENS);
  try {
    const url = `http://127.0.0.1:${target.port}/api/bench/model`;
    const replies = await lg.all(
      { type: "http", url, concurrency: 32, ms: seconds * 1000 },
      "http",
    );
    const done = replies.reduce((a, r) => a + r.done, 0);
    const failed = replies.reduce((a, r) => a + r.failed, 0);
    return { perSec: Math.round(done / seconds), failed };
  } finally {
    lg.close();
    await sleep(300);
  }
}

// ---- the targets -----------------------------------------------------------------

async function startTarget(kind) {
  const port = await freePort();
  // Node servers get bench/heap-probe.mjs, which reports their live heap on SIGUSR2.
  const heapFile = join(here, "out", `heap-${port}.json`);
  const probe = ["--import", join(here, "heap-probe.mjs")];
  const probeEnv = { HEAP_PROBE_FILE: heapFile };
  if (kind === "baseline") {
    const s = await startServer(
      "bare ws",
      process.execPath,
      [...probe, join(here, "baseline-ws.mjs"), natsUrl, String(port)],
      { port, env: probeEnv },
    );
    return { ...s, baseline: true, heapFile };
  }
  if (kind === "resgate-ts") {
    // --profile: a CPU profile of the gateway in bench/out (read it with bench/top-frames.mjs).
    const prof = profiling ? ["--cpu-prof", "--cpu-prof-dir", join(here, "out")] : [];
    const s = await startServer(
      "resgate-ts",
      process.execPath,
      [...probe, ...prof, CLI, "-n", natsUrl, "-i", "127.0.0.1", "-p", String(port)],
      { port, env: probeEnv },
    );
    return { ...s, heapFile };
  }
  if (kind === "resgate-ts x2") {
    return startServer(
      "resgate-ts --workers 2",
      process.execPath,
      [CLI, "-n", natsUrl, "-i", "127.0.0.1", "-p", String(port), "--workers", "2"],
      { port },
    );
  }
  const cmd = process.env.GATEWAY_CMD.replaceAll("{nats}", natsUrl)
    .replaceAll("{port}", String(port))
    .replaceAll("{host}", "127.0.0.1");
  return startServer("GATEWAY_CMD", "/bin/sh", ["-c", "exec " + cmd], { port });
}

const profiling = process.argv.includes("--profile");
const kinds = profiling ? ["resgate-ts"] : ["baseline", "resgate-ts"];
if (process.argv.includes("--workers")) kinds.push("resgate-ts x2");
if (process.env.GATEWAY_CMD) kinds.push("other");

const results = {};
const fanoutConns = quick ? [1000] : [1000, 5000];
for (const kind of kinds) {
  const r = (results[kind] = {});
  let t = await startTarget(kind);
  r.startupMs = +t.startupMs.toFixed(1);
  try {
    // Let the gateway finish connecting to NATS before measuring.
    await sleep(500);
    for (const conns of fanoutConns) {
      for (const size of [100, 2000]) {
        console.error(`  ${kind}: fan-out ${conns} x ${size} B`);
        r[`fanout ${conns / 1000}k x ${size}B`] = await fanout(t, conns, size);
      }
    }
    // A profile is of the hot path: fan-out alone.
    if (profiling) continue;
    console.error(`  ${kind}: latency, requests, memory`);
    r.latency = await latency(t, 1000, 20, quick ? 3 : 6);
    r.httpGet = await httpGets(t, quick ? 2 : 5);
    if (!t.baseline) {
      r.subscribeCached = await requests(t, "subscribe.bench.c.{k}", quick ? 2 : 5);
      r.subscribeUncached = await requests(t, "subscribe.bench.u.{n}", quick ? 2 : 5);
    }
    // Memory on a fresh process: what earlier figures left behind (garbage, pages V8
    // has not returned yet) would blur a per-connection figure.
    await stopServer(t);
    t = await startTarget(kind);
    await sleep(1000);
    r.memory = await memory(t, quick ? 500 : 2000);
  } finally {
    await stopServer(t);
  }
  console.error(`measured ${kind}`);
}
await nc.close();
await stopServer(nats);

// ---- the report ------------------------------------------------------------------

if (profiling) {
  console.log(JSON.stringify(results, null, 2));
  console.log("profile written to bench/out (read it with: node bench/top-frames.mjs <file>)");
  process.exit(0);
}

const base = results.baseline ?? results["resgate-ts"];
const rows = [];
const ratio = (a, b) => (a && b ? +(a / b).toFixed(2) : "n/a");
for (const key of Object.keys(base).filter((k) => k.startsWith("fanout"))) {
  const row = { figure: `${key} deliveries/s`, "bare ws": base[key].deliveriesPerSec };
  for (const k of kinds.slice(1)) {
    row[k] = results[k][key].deliveriesPerSec;
    row[`${k} / ws`] = ratio(results[k][key].deliveriesPerSec, base[key].deliveriesPerSec);
  }
  rows.push(row);
}
for (const [label, pick, lower] of [
  ["latency p50 ms", (r) => r.latency.p50, true],
  ["latency p99 ms", (r) => r.latency.p99, true],
  ["HTTP GET req/s (cached resource)", (r) => r.httpGet.perSec, false],
  ["memory bytes/conn (10 subs), RSS", (r) => r.memory.bytesPerConn, true],
  ["memory bytes/conn (10 subs), heap after GC", (r) => r.memory.heapBytesPerConn, true],
  ["start-up ms", (r) => r.startupMs, true],
]) {
  const row = { figure: label, "bare ws": pick(base) };
  for (const k of kinds.slice(1)) {
    row[k] = pick(results[k]);
    row[`${k} / ws`] = ratio(pick(results[k]), pick(base));
  }
  void lower;
  rows.push(row);
}
for (const label of ["subscribeCached", "subscribeUncached"]) {
  const row = { figure: `${label} req/s`, "bare ws": "n/a" };
  for (const k of kinds.slice(1)) row[k] = results[k][label].perSec;
  rows.push(row);
}
console.log(
  `\nresgate-ts benchmark (${quick ? "quick" : "full"}), ${new Date().toISOString()}, node ${process.version}\n`,
);
console.table(rows);
mkdirSync(join(here, "out"), { recursive: true });
writeFileSync(
  join(here, "out", "results.json"),
  JSON.stringify({ quick, date: new Date().toISOString(), results, rows }, null, 2),
);
