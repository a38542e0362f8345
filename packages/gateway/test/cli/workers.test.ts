// --workers: several gateway processes on one port; a dead worker is replaced.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { GatewayProcess } from "../support/gateway-process.js";
import { NatsServer } from "../support/nats-server.js";
import { ScriptedService } from "../support/service.js";
import { TestClient } from "../support/ws-client.js";

let nats: NatsServer;
let gw: GatewayProcess;
let service: ScriptedService;

before(async () => {
  nats = await NatsServer.start();
  gw = await GatewayProcess.start(nats.url, ["--workers", "2"]);
  service = await ScriptedService.connect(nats.url);
  service.serveModel("workers.model", { n: 1 });
});
after(async () => {
  await service.close();
  const code = await gw.stop();
  await nats.stop();
  assert.equal(code, 0);
});

function workerPids(): number[] {
  const text = readFileSync(`/proc/${gw.pid}/task/${gw.pid}/children`, "utf8").trim();
  return text === "" ? [] : text.split(/\s+/).map(Number);
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function subscribeOnce(): Promise<void> {
  const c = await TestClient.connect(gw.wsUrl);
  assert.deepEqual(await c.result("subscribe.workers.model"), {
    models: { "workers.model": { n: 1 } },
  });
  c.close();
}

test("two workers serve clients on one port; a killed worker is replaced", async () => {
  await until(() => workerPids().length === 2, 5000, "two workers");
  for (let i = 0; i < 10; i++) await subscribeOnce();

  const [victim] = workerPids();
  assert.ok(victim);
  process.kill(victim, "SIGKILL");
  await until(
    () => workerPids().length === 2 && !workerPids().includes(victim),
    10_000,
    "a replacement worker",
  );
  // Give the new worker a moment to connect to NATS, then every client is served.
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < 10; i++) await subscribeOnce();
});
