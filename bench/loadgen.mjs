// A lean WebSocket load generator, run as a child process by bench/run.mjs. It opens
// connections, subscribes them, then counts event frames (and reads a timestamp from
// them for latency) without parsing JSON, so that it costs as little CPU as possible.
// Commands arrive over IPC; results go back the same way.
import http from "node:http";
import { performance } from "node:perf_hooks";
import { WebSocket } from "ws";

const conns = [];
let counting = false;
let received = 0;
let target = 0;
let lastAt = 0;
let latencies = [];
let sampleLatency = false;
const TS = Buffer.from('"ts":');

function now() {
  return performance.timeOrigin + performance.now();
}

function onMessage(data) {
  if (!counting) return;
  // Event frames start with {"ev; responses with {"re or {"er.
  if (data[3] !== 0x76) return;
  received++;
  lastAt = now();
  if (sampleLatency) {
    const at = data.indexOf(TS);
    if (at >= 0) {
      let end = at + 5;
      while (end < data.length && ((data[end] >= 0x30 && data[end] <= 0x39) || data[end] === 0x2e))
        end++;
      latencies.push(lastAt - Number(data.toString("latin1", at + 5, end)));
    }
  }
  if (received === target) process.send({ type: "done", received, lastAt });
}

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.binaryType = "nodebuffer";
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/** Sends requests and waits for as many responses (frames that are not events). */
function request(ws, methods) {
  return new Promise((resolve) => {
    let left = methods.length;
    if (left === 0) {
      resolve();
      return;
    }
    const handler = (data) => {
      if (data[3] === 0x76) return;
      if (--left === 0) {
        ws.off("message", handler);
        resolve();
      }
    };
    ws.on("message", handler);
    methods.forEach((m, i) => ws.send(`{"id":${i + 1},"method":"${m}"}`));
  });
}

process.on("message", async (msg) => {
  try {
    if (msg.type === "connect") {
      for (let i = 0; i < msg.count; i += 50) {
        const batch = [];
        for (let k = i; k < Math.min(msg.count, i + 50); k++) batch.push(open(msg.url));
        const opened = await Promise.all(batch);
        for (const ws of opened) {
          ws.on("message", onMessage);
          ws.on("error", () => undefined);
          conns.push(ws);
        }
        await Promise.all(opened.map((ws) => request(ws, msg.subscribe)));
      }
      process.send({ type: "connected", count: conns.length });
    } else if (msg.type === "count") {
      received = 0;
      target = msg.target;
      latencies = [];
      sampleLatency = msg.latency;
      counting = true;
      process.send({ type: "counting" });
    } else if (msg.type === "report") {
      counting = false;
      process.send({ type: "report", received, lastAt, latencies: sampleLatency ? latencies : [] });
    } else if (msg.type === "requests") {
      // Request throughput: each connection keeps `inFlight` requests out for `ms`.
      const deadline = Date.now() + msg.ms;
      let done = 0;
      await Promise.all(
        conns.slice(0, msg.conns).map(async (ws, c) => {
          let n = 0;
          while (Date.now() < deadline) {
            const methods = [];
            for (let k = 0; k < msg.inFlight; k++, n++) {
              // {n}: a new resource every time; {k}: one of 200 resources, cached after first use.
              methods.push(
                msg.method.replaceAll("{n}", `${c}.${n}`).replaceAll("{k}", String(n % 200)),
              );
            }
            await request(ws, methods);
            done += methods.length;
          }
        }),
      );
      process.send({ type: "requests", done });
    } else if (msg.type === "http") {
      // HTTP GET throughput: `concurrency` keep-alive request loops for `ms`.
      const agent = new http.Agent({ keepAlive: true, maxSockets: msg.concurrency });
      const deadline = Date.now() + msg.ms;
      let done = 0;
      let failed = 0;
      const get = () =>
        new Promise((resolve) => {
          const req = http.get(msg.url, { agent }, (res) => {
            res.resume();
            res.on("end", () => {
              if (res.statusCode === 200) done++;
              else failed++;
              resolve();
            });
          });
          req.on("error", () => {
            failed++;
            resolve();
          });
        });
      await Promise.all(
        Array.from({ length: msg.concurrency }, async () => {
          while (Date.now() < deadline) await get();
        }),
      );
      agent.destroy();
      process.send({ type: "http", done, failed });
    } else if (msg.type === "close") {
      for (const ws of conns) ws.terminate();
      process.exit(0);
    }
  } catch (err) {
    process.send({ type: "error", message: String(err) });
  }
});
process.send({ type: "ready" });
