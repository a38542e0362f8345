// Losing NATS: clients stay connected, requests meanwhile time out, and once NATS is
// back every cached resource is fetched again and clients get only the difference.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";
import type { TestClient } from "../support/ws-client.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

/** A client's view of a model and a collection, kept up to date from events. */
class Mirror {
  model: Record<string, unknown> = {};
  list: unknown[] = [];

  constructor(
    readonly client: TestClient,
    private readonly modelRid: string,
    private readonly listRid: string,
  ) {}

  async load(): Promise<void> {
    const m = (await this.client.result(`subscribe.${this.modelRid}`)) as {
      models: Record<string, Record<string, unknown>>;
    };
    this.model = { ...m.models[this.modelRid] };
    const l = (await this.client.result(`subscribe.${this.listRid}`)) as {
      collections: Record<string, unknown[]>;
    };
    this.list = [...(l.collections[this.listRid] ?? [])];
  }

  /** Applies events until the mirror equals the expected state, or fails after `ms`. */
  async until(model: Record<string, unknown>, list: unknown[], ms = 8000): Promise<void> {
    const deadline = Date.now() + ms;
    while (JSON.stringify([this.model, this.list]) !== JSON.stringify([model, list])) {
      const ev = await this.client.nextEvent(undefined, Math.max(1, deadline - Date.now()));
      const data = ev.data as Record<string, unknown>;
      if (ev.event === `${this.modelRid}.change`) {
        for (const [k, v] of Object.entries(data["values"] as Record<string, unknown>)) {
          if (
            v !== null &&
            typeof v === "object" &&
            (v as { action?: string }).action === "delete"
          ) {
            Reflect.deleteProperty(this.model, k);
          } else {
            this.model[k] = v;
          }
        }
      } else if (ev.event === `${this.listRid}.add`) {
        this.list.splice(data["idx"] as number, 0, data["value"]);
      } else if (ev.event === `${this.listRid}.remove`) {
        this.list.splice(data["idx"] as number, 1);
      } else {
        assert.fail(`unexpected event ${JSON.stringify(ev)}`);
      }
    }
  }
}

test("NATS restart: no client is dropped and every client ends with the service's state", async (t) => {
  const p = env.prefix("failover");
  let model: Record<string, unknown> = { count: 0, name: "a", gone: true };
  let list: unknown[] = ["a", "b", "c", "d"];
  env.service.handle(`access.${p}.>`, (r) => r.access(true, "*"));
  env.service.handle(`get.${p}.model`, (r) => r.model(model));
  env.service.handle(`get.${p}.list`, (r) => r.collection(list));

  const mirrors: Mirror[] = [];
  for (let i = 0; i < 50; i++) {
    const m = new Mirror(await env.connect(t), `${p}.model`, `${p}.list`);
    await m.load();
    mirrors.push(m);
  }
  assert.equal(env.gateway.connections, 50);

  await env.nats.stop("SIGKILL");

  // While NATS is down: a request times out, and the connection stays open.
  const probe = mirrors[0]?.client;
  assert.ok(probe);
  const err = await probe.error(`get.${p}.other`);
  assert.equal(err?.code, "system.timeout");

  // The service's data changes while nobody can hear about it.
  model = { count: 5, name: "b", added: "x" };
  list = ["b", "x", "d", "e"];

  await env.nats.run();
  for (const m of mirrors) await m.until(model, list);

  assert.equal(env.gateway.connections, 50, "no client connection was closed");
  for (const m of mirrors) assert.equal(m.client.ws.readyState, 1);
});
