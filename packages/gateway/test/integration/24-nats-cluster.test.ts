// A three-node NATS cluster (routes on free loopback ports): when the node the
// gateway uses dies, the gateway moves to another node, keeps every client, and
// resynchronizes them with the service's state.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { Gateway, defaultConfig } from "../../src/index.js";
import { NatsServer, freePort } from "../support/nats-server.js";
import { ScriptedService } from "../support/service.js";
import { TestClient } from "../support/ws-client.js";

let nodes: NatsServer[] = [];
let gateway: Gateway;
let service: ScriptedService;

before(async () => {
  const clusterPorts = [await freePort(), await freePort(), await freePort()];
  const routes = clusterPorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
  nodes = [];
  for (const cp of clusterPorts) {
    nodes.push(
      await NatsServer.start({
        args: ["--cluster_name", "rts", "--cluster", `nats://127.0.0.1:${cp}`, "--routes", routes],
      }),
    );
  }
  const [a, b] = nodes;
  assert.ok(a && b);
  // The gateway knows only node A; it learns the others from the cluster.
  gateway = new Gateway(
    { ...defaultConfig(), natsUrl: a.url, addr: "127.0.0.1", port: 0, requestTimeout: 1000 },
    { logger: pino({ level: "silent" }) },
  );
  await gateway.start();
  service = await ScriptedService.connect(b.url);
});
after(async () => {
  await service.close();
  await gateway.stop();
  for (const n of nodes) await n.stop();
});

test("killing the gateway's node: clients stay, and converge on the service's state", async () => {
  let state = { version: 1 };
  service.handle("access.cluster.>", (r) => r.access(true, "*"));
  service.handle("get.cluster.model", (r) => r.model(state));
  // Routes need a moment to carry the service's interest to node A.
  const url = `ws://127.0.0.1:${gateway.address().port}/`;
  const clients: TestClient[] = [];
  for (let i = 0; i < 20; i++) clients.push(await TestClient.connect(url));
  for (const c of clients) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = await c.request("subscribe.cluster.model");
      if (r.result) {
        assert.deepEqual(r.result, { models: { "cluster.model": { version: 1 } } });
        break;
      }
      if (Date.now() > deadline) assert.fail(`subscribe failed: ${JSON.stringify(r.error)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  await nodes[0]?.stop("SIGKILL");
  state = { version: 2 };

  for (const c of clients) {
    const ev = await c.nextEvent("cluster.model.change", 15_000);
    assert.deepEqual(ev.data, { values: { version: 2 } });
  }
  assert.equal(gateway.connections, 20);
  for (const c of clients) {
    assert.equal(c.ws.readyState, 1);
    c.close();
  }
});
