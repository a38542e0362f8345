/**
 * The `npm run example` runner as a process: it prints the page to open, serves the
 * page and the gateway, and stops cleanly on Ctrl-C (SIGINT).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { NatsServer } from "./support/nats-server.js";
import { createClient, getModel } from "./support/resclient.js";
import { until, within } from "./support/wait.js";

const runJs = join(import.meta.dirname, "..", "run.js");
let nats: NatsServer;

before(async () => {
  nats = await NatsServer.start();
});

after(async () => {
  await nats.stop();
});

/** Runs the runner; `exited` resolves with its exit code once its output is read. */
function run(args: string[]) {
  const child = spawn(process.execPath, [runJs, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out.stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out.stderr += d));
  // "close": the process exited and its output has all been read.
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  const kill = (): void => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, "SIGKILL");
    }
  };
  return { child, out, exited, kill };
}

test("runs an example, prints what to open, and stops on Ctrl-C", async () => {
  const r = run(["edit-text", "--nats", nats.url, "--port", "0", "--web-port", "0"]);
  try {
    await until(() => r.out.stdout.includes("Ctrl-C to stop"), 5000, "the runner's line");
    const lines = r.out.stdout.trim().split("\n");
    assert.equal(lines.length, 1, r.out.stdout);
    const page = /Open (http:\/\/127\.0\.0\.1:\d+\/) \(gateway (ws:\/\/127\.0\.0\.1:\d+\/),/.exec(
      r.out.stdout,
    );
    assert.ok(page?.[1] !== undefined && page[2] !== undefined, r.out.stdout);

    assert.equal((await fetch(page[1])).status, 200);
    const client = createClient(page[2]);
    await within(client.connect(), 3000, "connect");
    const shared = await getModel(client, "text.shared");
    assert.equal(typeof shared.props["text"], "string");
    client.disconnect();

    assert.ok(r.child.pid !== undefined);
    process.kill(r.child.pid, "SIGINT");
    assert.equal(await within(r.exited, 3000, "exit after SIGINT"), 0);
    assert.match(r.out.stdout, /SIGINT: stopping edit-text/);
    assert.equal(r.out.stderr, "");
  } finally {
    r.kill();
  }
});

test("an unknown example or option is refused with the usage", async () => {
  for (const args of [["no-such-example"], ["edit-text", "--port", "http"], []]) {
    const r = run(args);
    try {
      assert.equal(await within(r.exited, 3000, "exit"), 1);
      assert.match(r.out.stderr, /Usage: npm run example -- <name>/);
      assert.match(r.out.stderr, /book-collection, edit-text, jwt-auth, chat-history/);
    } finally {
      r.kill();
    }
  }
});
