// Throughput and start-up time of @resgate-ts/broker versus nats-server.
//
//   npx tsc -b && node packages/broker/bench/throughput.mjs [seconds-per-run]
//
// Clients are raw protocol clients (pre-encoded PUB batches, subscribers that only count
// bytes), so the servers, not a client library, are what is measured. One publisher
// sends 128-byte messages to 1 or 10 subscribers, with at most WINDOW messages in
// flight so that no subscriber becomes a slow consumer. The broker is measured both as
// a separate process (like nats-server) and in-process (the embedded mode, where it
// shares this process's thread with the benchmark clients).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { createServer, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

const BROKER_ENTRY = join(import.meta.dirname, "..", "dist", "src", "index.js");
const NATS_SERVER = process.env.NATS_SERVER ?? "/usr/sbin/nats-server";
const SECONDS = Number(process.argv[2] ?? 3);
const WARMUP_MS = 500;
const WINDOWS = 3;
const PAYLOAD = 128;
const BATCH = 500;
const WINDOW = 20_000;
const STARTUP_RUNS = 5;

if (!existsSync(BROKER_ENTRY)) {
  console.error(`build first (npx tsc -b): ${BROKER_ENTRY} is missing`);
  process.exit(1);
}
const { Broker } = await import(BROKER_ENTRY);

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Connects and resolves with the socket once the server's INFO line arrived. */
function connectInfo(port) {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ port, host: "127.0.0.1" });
    sock.setNoDelay(true);
    let seen = "";
    const onData = (chunk) => {
      seen += chunk.toString("latin1");
      if (seen.includes("\r\n")) {
        sock.off("data", onData);
        sock.off("error", reject);
        resolve(sock);
      }
    };
    sock.on("data", onData);
    sock.once("error", reject);
  });
}

/** Retries until the server answers with INFO (it may still be starting). */
async function waitForInfo(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const sock = await connectInfo(port);
      sock.destroy();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(2);
    }
  }
}

function killAndWait(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => process.kill(child.pid, "SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    process.kill(child.pid, "SIGTERM");
  });
}

/** Server kinds: each start() resolves to { port, stop() } once INFO is served. */
const SERVERS = {
  "nats-server": async () => {
    const port = await freePort();
    const child = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", String(port)], {
      stdio: "ignore",
    });
    await waitForInfo(port);
    return { port, stop: () => killAndWait(child) };
  },
  "broker (process)": async () => {
    const port = await freePort();
    const code =
      `const { Broker } = await import(${JSON.stringify(BROKER_ENTRY)});` +
      `const b = await Broker.start({ port: ${port} });` +
      `process.on("SIGTERM", () => b.close().then(() => process.exit(0)));`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
      stdio: "ignore",
    });
    await waitForInfo(port);
    return { port, stop: () => killAndWait(child) };
  },
  "broker (in-process)": async () => {
    const broker = await Broker.start({ port: 0 });
    return { port: broker.port, stop: () => broker.close() };
  },
};

const PING_LINE = Buffer.from("PING\r\n");

/** A subscriber that counts bytes; it answers the server's PINGs (nats-server sends one
 * early to measure the round trip) and does not count them. */
async function subscriber(port) {
  const sock = await connectInfo(port);
  const state = { sock, bytes: 0, synced: false };
  let pre = "";
  let tail = Buffer.alloc(0);
  sock.on("data", (chunk) => {
    if (!state.synced) {
      pre += chunk.toString("latin1");
      const i = pre.indexOf("PONG\r\n");
      if (i < 0) return;
      state.synced = true;
      chunk = Buffer.from(pre.slice(i + 6), "latin1");
    }
    state.bytes += chunk.length;
    // Payloads are all "x", so "PING\r\n" can only be a server PING (maybe split across reads).
    const scan = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    for (let at = scan.indexOf(PING_LINE); at >= 0; at = scan.indexOf(PING_LINE, at + 1)) {
      state.bytes -= PING_LINE.length;
      sock.write("PONG\r\n");
    }
    tail = Buffer.from(scan.subarray(Math.max(0, scan.length - (PING_LINE.length - 1))));
  });
  sock.write('CONNECT {"verbose":false,"pedantic":false}\r\nSUB bench 1\r\nPING\r\n');
  const deadline = Date.now() + 5000;
  while (!state.synced) {
    if (Date.now() > deadline) throw new Error("subscriber did not sync");
    await sleep(1);
  }
  return state;
}

async function pubsub(port, subs) {
  const frameIn = `PUB bench ${PAYLOAD}\r\n${"x".repeat(PAYLOAD)}\r\n`;
  const frameOutLen = `MSG bench 1 ${PAYLOAD}\r\n`.length + PAYLOAD + 2;
  const batch = Buffer.from(frameIn.repeat(BATCH), "latin1");
  const subscribers = [];
  for (let i = 0; i < subs; i++) subscribers.push(await subscriber(port));
  const pub = await connectInfo(port);
  pub.on("data", () => undefined);
  pub.write('CONNECT {"verbose":false,"pedantic":false}\r\n');

  const received = () => subscribers.map((s) => Math.floor(s.bytes / frameOutLen));
  let sent = 0;
  const run = async (ms) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      if (sent - Math.min(...received()) >= WINDOW) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      sent += BATCH;
      if (!pub.write(batch)) await new Promise((resolve) => pub.once("drain", resolve));
    }
  };
  await run(WARMUP_MS);
  // Several windows, median reported: this damps one-off scheduling noise.
  const windows = [];
  for (let w = 0; w < WINDOWS; w++) {
    const sent0 = sent;
    const recv0 = received().reduce((a, b) => a + b, 0);
    const t0 = performance.now();
    await run((SECONDS * 1000) / WINDOWS);
    const elapsed = (performance.now() - t0) / 1000;
    const delivered = received().reduce((a, b) => a + b, 0) - recv0;
    windows.push({ published: (sent - sent0) / elapsed, delivered: delivered / elapsed });
  }
  // Let everything in flight arrive before tearing down (bounded).
  const deadline = Date.now() + 10_000;
  while (Math.min(...received()) < sent && Date.now() < deadline) await sleep(5);
  const lost = subscribers.filter((sub) => sub.bytes !== sent * frameOutLen).length;
  if (lost > 0)
    console.error(`  WARNING: ${lost} subscriber(s) did not get exactly ${sent} messages`);
  pub.destroy();
  for (const s of subscribers) s.sock.destroy();
  return {
    published: median(windows.map((x) => x.published)),
    delivered: median(windows.map((x) => x.delivered)),
  };
}

async function startupSpawn(kind) {
  const times = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    const t0 = performance.now();
    const server = await SERVERS[kind]();
    times.push(performance.now() - t0);
    await server.stop();
  }
  return median(times);
}

async function startupInProcess() {
  const times = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    const t0 = performance.now();
    const broker = await Broker.start({ port: 0 });
    times.push(performance.now() - t0);
    await broker.close();
  }
  return median(times);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const fmtRate = (n) => `${Math.round(n).toLocaleString("en-US")}`;
const fmtMs = (n) => `${n.toFixed(1)} ms`;

async function main() {
  if (!existsSync(NATS_SERVER)) {
    console.error(`nats-server not found at ${NATS_SERVER} (set NATS_SERVER)`);
    process.exit(1);
  }
  const kinds = Object.keys(SERVERS);
  const rows = [];
  for (const subs of [1, 10]) {
    const results = {};
    for (const kind of kinds) {
      const server = await SERVERS[kind]();
      try {
        results[kind] = await pubsub(server.port, subs);
      } finally {
        await server.stop();
      }
      process.stderr.write(
        `  ${kind}, ${subs} sub(s): ${fmtRate(results[kind].delivered)} msgs/s delivered\n`,
      );
    }
    rows.push({
      label: `pub/sub ${subs} sub${subs > 1 ? "s" : ""}: msgs/s delivered`,
      values: kinds.map((k) => results[k].delivered),
      fmt: fmtRate,
      higherIsBetter: true,
    });
    rows.push({
      label: `pub/sub ${subs} sub${subs > 1 ? "s" : ""}: msgs/s published`,
      values: kinds.map((k) => results[k].published),
      fmt: fmtRate,
      higherIsBetter: true,
    });
  }
  rows.push({
    label: "start-up: spawn until INFO (median)",
    values: [await startupSpawn("nats-server"), await startupSpawn("broker (process)"), NaN],
    fmt: fmtMs,
  });
  rows.push({
    label: "start-up: Broker.start() in-process (median)",
    values: [NaN, NaN, await startupInProcess()],
    fmt: fmtMs,
  });

  const header = ["", ...kinds.flatMap((k, i) => (i === 0 ? [k] : [k, "ratio"]))];
  const table = [header];
  for (const row of rows) {
    const base = row.values[0];
    const cells = [row.label];
    row.values.forEach((v, i) => {
      cells.push(Number.isNaN(v) ? "-" : row.fmt(v));
      if (i > 0)
        cells.push(Number.isNaN(v) || Number.isNaN(base) ? "-" : `${(v / base).toFixed(2)}x`);
    });
    table.push(cells);
  }
  const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
  const line = (r) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(" | ");
  console.log(
    `\n${PAYLOAD}-byte payloads; per run ${WARMUP_MS} ms warm-up, then the median of ` +
      `${WINDOWS} windows over ${SECONDS} s; node ${process.version}, ${cpus().length} CPUs.\n` +
      "ratio = value / nats-server (msgs/s: higher is better; start-up ms: lower is better)\n",
  );
  console.log(line(table[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const r of table.slice(1)) console.log(line(r));
}

await main();
