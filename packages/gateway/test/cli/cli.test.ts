// The resgate-ts command: -h, -v, flag errors, and a real run against nats-server
// that serves a WebSocket client and stops cleanly on SIGTERM/SIGINT.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { get as httpGet } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";

import { NatsServer, freePort } from "../support/nats-server.js";

// Compiled to packages/gateway/dist/test/cli/cli.test.js; the CLI is dist/src/cli.js.
const CLI = join(import.meta.dirname, "..", "..", "src", "cli.js");

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; the caller must see that it ends. */
function start(args: readonly string[]): {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<RunResult>;
} {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout?.setEncoding("utf8").on("data", (s: string) => (output.stdout += s));
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (output.stderr += s));
  const exited = new Promise<RunResult>((resolve) => {
    child.once("exit", (code, signal) => {
      // Let the pipes drain before reporting.
      setImmediate(() => resolve({ code, signal, ...output }));
    });
  });
  return { child, output, exited };
}

/** Kills a child we started, by its PID, if it is still running. */
function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** Resolves with `p`, or rejects after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the CLI to completion (at most `ms`). */
async function run(args: readonly string[], ms = 10_000): Promise<RunResult> {
  const { child, exited } = start(args);
  try {
    return await within(exited, ms, `resgate-ts ${args.join(" ")}`);
  } finally {
    kill(child);
  }
}

describe("resgate-ts command line", () => {
  test("-h prints the usage and exits with 0", async () => {
    const r = await run(["-h"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: resgate-ts \[options\]/);
    assert.match(r.stdout, /-p, --port <port>/);
    assert.match(r.stdout, /-n, --nats <url>/);
    assert.equal(r.stderr, "");
  });

  test("--help is -h", async () => {
    const r = await run(["--help"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: resgate-ts/);
  });

  test("-v prints the gateway and protocol versions and exits with 0", async () => {
    const r = await run(["-v"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2, r.stdout);
    assert.match(lines[0] ?? "", /^resgate-ts\s+v\d+\.\d+\.\d+/);
    assert.match(lines[1] ?? "", /^protocol\s+v1\.2\.3$/);
    assert.equal(r.stderr, "");
  });

  test("an unknown flag: exit 1 and a one-line error on stderr", async () => {
    const r = await run(["--nosuchflag"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `expected one line, got: ${r.stderr}`);
    assert.match(lines[0] ?? "", /flag provided but not defined: -nosuchflag/);
  });

  test("-p notanumber: exit 1 with an error naming the value", async () => {
    const r = await run(["-p", "notanumber"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /notanumber/);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  });

  test("-p 65536: exit 1", async () => {
    const r = await run(["-p", "65536"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Invalid port "65536"/);
  });

  test("--tls without a certificate: exit 1 with a message naming the missing flag", async () => {
    const r = await run(["--tls"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /--tlscert\b/);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  });
});

/** Resolves when an HTTP request to the port gets any response (at most `ms`). */
async function waitForHttp(port: number, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`resgate-ts exited early (code ${child.exitCode}, ${child.signalCode})`);
    }
    const answered = await new Promise<boolean>((resolve) => {
      const req = httpGet({ host: "127.0.0.1", port, path: "/", timeout: 500 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(false));
    });
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`resgate-ts did not answer HTTP within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Opens a WebSocket (at most `ms`). */
function openWebSocket(url: string, ms: number): Promise<WebSocket> {
  const ws = new WebSocket(url);
  return within(
    new Promise<WebSocket>((resolve, reject) => {
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    }),
    ms,
    "WebSocket open",
  ).catch((err: unknown) => {
    ws.terminate();
    throw err;
  });
}

/** Sends one text frame and returns the next frame received (at most `ms`). */
function exchange(ws: WebSocket, text: string, ms: number): Promise<string> {
  const reply = new Promise<string>((resolve) => {
    ws.once("message", (data: Buffer) => resolve(data.toString()));
  });
  ws.send(text);
  return within(reply, ms, "WebSocket reply");
}

describe("resgate-ts running against nats-server", () => {
  let nats: NatsServer | undefined;
  before(async () => {
    nats = await NatsServer.start();
  });
  after(async () => {
    await nats?.stop();
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`serves a WebSocket client, then exits with 0 on ${signal}`, async () => {
      assert.ok(nats);
      const port = await freePort();
      const proc = start(["--nats", nats.url, "-i", "127.0.0.1", "-p", String(port), "-r", "1000"]);
      let ws: WebSocket | undefined;
      try {
        await waitForHttp(port, proc.child, 10_000);

        ws = await openWebSocket(`ws://127.0.0.1:${port}/`, 3000);
        const closed = new Promise<number>((resolve) => ws?.once("close", (code) => resolve(code)));
        const reply = await exchange(
          ws,
          '{"id":1,"method":"version","params":{"protocol":"1.2.3"}}',
          3000,
        );
        assert.equal(reply, '{"result":{"protocol":"1.2.3"},"id":1}');

        // The open connection is closed by the shutdown, which ends with exit code 0.
        assert.ok(proc.child.kill(signal), `could not send ${signal}`);
        const r = await within(proc.exited, 5000, `exit after ${signal}`);
        assert.equal(r.signal, null, `killed by ${r.signal}; stderr: ${r.stderr}`);
        assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
        await within(closed, 1000, "WebSocket close");
      } finally {
        ws?.terminate();
        kill(proc.child);
      }
    });
  }
});
