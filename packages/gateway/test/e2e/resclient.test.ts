// End to end with the official RES client (npm `resclient`): models with references,
// change events, collections with add/remove, calls, errors and unsubscribing, all
// through a real gateway and nats-server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";

import { TestEnv } from "../support/env.js";
import {
  RecordingSocketFactory,
  ResClient,
  isResClientError,
  isResCollection,
  isResModel,
  type ResClientInstance,
  type ResClientOptions,
  type ResCollection,
  type ResModel,
} from "../support/resclient.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

/** A connected resclient that is disconnected when the test ends. */
async function connectClient(
  t: TestContext,
  opts: ResClientOptions = {},
): Promise<{ client: ResClientInstance; sockets: RecordingSocketFactory }> {
  const sockets = new RecordingSocketFactory(env.wsUrl);
  const client = new ResClient(sockets.create, {
    unsubscribeDelay: 50,
    reconnectDelay: 60_000,
    subscribeStaleDelay: 0,
    subscribeRetryDelay: 0,
    ...opts,
  });
  t.after(async () => {
    client.disconnect();
    sockets.terminateAll();
    // Let the gateway see the disconnect before the next test (or env.stop()).
    await until(() => env.gateway.connections === 0, 2000, "gateway saw the disconnect");
  });
  await within(client.connect(), 3000, "resclient connect");
  return { client, sockets };
}

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

/** Waits until `cond` holds, at most `ms`. */
async function until(cond: () => boolean, ms = 2000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function getModel(client: ResClientInstance, rid: string): Promise<ResModel> {
  const m = await within(client.get(rid), 3000, `get ${rid}`);
  assert.ok(isResModel(m), `${rid} is not a ResModel`);
  return m;
}

async function getCollection(client: ResClientInstance, rid: string): Promise<ResCollection> {
  const c = await within(client.get(rid), 3000, `get ${rid}`);
  assert.ok(isResCollection(c), `${rid} is not a ResCollection`);
  return c;
}

describe("resclient against resgate-ts", () => {
  test("connects and negotiates the protocol", async (t) => {
    const { client, sockets } = await connectClient(t);
    assert.equal(client.connected, true);
    // resclient 2.5 speaks 1.2.1; the gateway answers with its own version.
    const [version] = sockets.requests("version");
    assert.ok(version);
    assert.deepEqual(version.params, { protocol: "1.2.1" });
    assert.equal(client.protocol, 1_002_003);
  });

  test("get: a model, with the model it references", async (t) => {
    const p = env.prefix("rc");
    env.service.serveModel(`${p}.parent`, { name: "parent", child: { rid: `${p}.child` } });
    env.service.serveModel(`${p}.child`, { name: "child", n: 42 });
    const { client, sockets } = await connectClient(t);

    const m = await getModel(client, `${p}.parent`);
    assert.equal(m.getResourceId(), `${p}.parent`);
    assert.equal(m.props["name"], "parent");

    const child = m.props["child"];
    assert.ok(isResModel(child), "the child property is not a ResModel");
    assert.equal(child.getResourceId(), `${p}.child`);
    assert.deepEqual(child.toJSON(), { name: "child", n: 42 });
    // The same instance is what client.get gives for the child.
    assert.equal(await within(client.get(`${p}.child`), 3000, "get child"), child);

    // One subscribe request brought both resources.
    assert.equal(sockets.requests(`subscribe.${p}.parent`).length, 1);
    assert.equal(sockets.requests(`subscribe.${p}.child`).length, 0);
  });

  test("a change event updates the model and fires the change listener", async (t) => {
    const p = env.prefix("rc");
    const rid = `${p}.model`;
    env.service.serveModel(rid, { name: "foo", count: 1, gone: true });
    const { client } = await connectClient(t);
    const m = await getModel(client, rid);

    const changes: unknown[] = [];
    const onChange = (changed: unknown) => changes.push(changed);
    m.on("change", onChange);
    t.after(() => m.off("change", onChange));

    env.service.event(rid, "change", {
      values: { name: "bar", added: 2, gone: { action: "delete" } },
    });
    await until(() => changes.length === 1, 2000, "change listener");
    // resclient reports the previous values of what changed.
    assert.deepEqual(changes[0], { name: "foo", added: undefined, gone: true });
    assert.deepEqual(m.toJSON(), { name: "bar", count: 1, added: 2 });

    // A change that changes nothing is not an event.
    env.service.event(rid, "change", { values: { name: "bar" } });
    env.service.event(rid, "change", { values: { count: 2 } });
    await until(() => changes.length === 2, 2000, "second change");
    assert.deepEqual(changes[1], { count: 1 });
  });

  test("a change event can replace a reference; the new model comes with it", async (t) => {
    const p = env.prefix("rc");
    const rid = `${p}.parent`;
    env.service.serveModel(rid, { child: { rid: `${p}.child1` } });
    env.service.serveModel(`${p}.child1`, { name: "one" });
    env.service.serveModel(`${p}.child2`, { name: "two", nested: { rid: `${p}.leaf` } });
    env.service.serveModel(`${p}.leaf`, { leaf: true });
    const { client } = await connectClient(t);
    const m = await getModel(client, rid);
    const onChange = () => undefined;
    m.on("change", onChange);
    t.after(() => m.off("change", onChange));

    env.service.event(rid, "change", { values: { child: { rid: `${p}.child2` } } });
    await until(() => {
      const c = m.props["child"];
      return isResModel(c) && c.getResourceId() === `${p}.child2`;
    });
    const child = m.props["child"];
    assert.ok(isResModel(child));
    assert.equal(child.props["name"], "two");
    const leaf = child.props["nested"];
    assert.ok(isResModel(leaf), "the model referenced by the new model was not sent");
    assert.deepEqual(leaf.toJSON(), { leaf: true });
    // The old child is no longer referenced, so resclient drops it.
    await until(() => client.cache[`${p}.child1`] === undefined, 2000, "child1 dropped");
  });

  test("soft references and data values reach a 1.2.1 client as they are", async (t) => {
    const p = env.prefix("rc");
    const rid = `${p}.model`;
    env.service.serveModel(rid, {
      soft: { rid: `${p}.other`, soft: true },
      data: { data: { a: [1, { b: null }] } },
      prim: { data: 7 },
    });
    const { client } = await connectClient(t);
    const m = await getModel(client, rid);
    assert.deepEqual(m.toJSON(), {
      soft: { rid: `${p}.other` },
      data: { a: [1, { b: null }] },
      prim: 7,
    });
    // A soft reference is not followed.
    assert.equal(env.service.requests(`get.${p}.other`).length, 0);
    assert.equal(client.cache[`${p}.other`], undefined);
  });

  test("a collection: values, references, and add/remove events", async (t) => {
    const p = env.prefix("rc");
    const rid = `${p}.list`;
    env.service.serveCollection(rid, ["a", "b", { rid: `${p}.item1` }]);
    env.service.serveModel(`${p}.item1`, { id: 1 });
    env.service.serveModel(`${p}.item2`, { id: 2 });
    const { client } = await connectClient(t);
    const c = await getCollection(client, rid);

    assert.equal(c.length, 3);
    assert.deepEqual(c.toArray().slice(0, 2), ["a", "b"]);
    const item1 = c.atIndex(2);
    assert.ok(isResModel(item1));
    assert.deepEqual(item1.toJSON(), { id: 1 });

    const adds: unknown[] = [];
    const removes: unknown[] = [];
    const onAdd = (d: unknown) => adds.push(d);
    const onRemove = (d: unknown) => removes.push(d);
    c.on("add", onAdd).on("remove", onRemove);
    t.after(() => c.off("add", onAdd).off("remove", onRemove));

    env.service.event(rid, "add", { idx: 1, value: "x" });
    await until(() => adds.length === 1, 2000, "add listener");
    assert.deepEqual(adds[0], { item: "x", idx: 1 });
    assert.deepEqual(c.toArray().slice(0, 3), ["a", "x", "b"]);

    env.service.event(rid, "remove", { idx: 0 });
    await until(() => removes.length === 1, 2000, "remove listener");
    assert.deepEqual(removes[0], { item: "a", idx: 0 });
    assert.equal(c.length, 3);
    assert.deepEqual(c.toArray().slice(0, 2), ["x", "b"]);

    // Adding a reference to a model the client has not seen: the gateway sends it along.
    env.service.event(rid, "add", { idx: 0, value: { rid: `${p}.item2` } });
    await until(() => adds.length === 2, 2000, "second add");
    const item2 = c.atIndex(0);
    assert.ok(isResModel(item2), "the added reference is not a ResModel");
    assert.deepEqual(item2.toJSON(), { id: 2 });

    // Removing the last reference to item1 drops it from resclient's cache.
    env.service.event(rid, "remove", { idx: 3 });
    await until(() => removes.length === 2, 2000, "second remove");
    assert.equal(c.length, 3);
    await until(() => client.cache[`${p}.item1`] === undefined, 2000, "item1 dropped");
  });

  test("model.off: the client unsubscribes and gets no more events", async (t) => {
    const p = env.prefix("rc");
    const rid = `${p}.model`;
    env.service.serveModel(rid, { name: "foo" });
    const { client, sockets } = await connectClient(t);
    const m = await getModel(client, rid);

    const changes: unknown[] = [];
    const onChange = (d: unknown) => changes.push(d);
    m.on("change", onChange);
    env.service.event(rid, "change", { values: { name: "bar" } });
    await until(() => changes.length === 1, 2000, "change before unsubscribe");

    m.off("change", onChange);
    // After unsubscribeDelay, resclient sends the unsubscribe request, and drops the
    // model from its cache once the gateway has answered it with success.
    await until(() => sockets.requests(`unsubscribe.${rid}`).length === 1, 2000, "unsubscribe");
    const [unsubscribe] = sockets.requests(`unsubscribe.${rid}`);
    assert.ok(unsubscribe);
    await until(() => client.cache[rid] === undefined, 2000, "model dropped from cache");
    const reply = sockets.received
      .map((s) => JSON.parse(s) as { id?: number; error?: unknown })
      .find((r) => r.id === unsubscribe.id);
    assert.ok(reply, "no reply to the unsubscribe request");
    assert.equal(reply.error, undefined, `unsubscribe failed: ${JSON.stringify(reply.error)}`);

    // Events on the resource no longer reach this client.
    const eventsBefore = sockets.events(rid).length;
    env.service.event(rid, "change", { values: { name: "baz" } });
    env.service.event(rid, "custom", { foo: 1 });
    await env.service.flush();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(sockets.events(rid).length, eventsBefore);
    assert.equal(changes.length, 1);

    // A new get subscribes again and sees the current state from the service.
    env.service.serveModel(rid, { name: "baz" });
    const again = await getModel(client, rid);
    assert.equal(sockets.requests(`subscribe.${rid}`).length, 2);
    assert.equal(again.props["name"], "baz");
  });

  test("call: a result payload, and a resource response", async (t) => {
    const p = env.prefix("rc");
    const rid = `${p}.calc`;
    env.service.serveModel(rid, { n: 0 });
    env.service.handle(`call.${rid}.double`, (r) => {
      const params = r.data["params"] as { x: number };
      r.result({ n: params.x * 2 });
    });
    env.service.handle(`call.${rid}.create`, (r) => r.resource(`${p}.created`));
    env.service.serveModel(`${p}.created`, { created: true });
    const { client } = await connectClient(t);

    const result = await within(client.call(rid, "double", { x: 21 }), 3000, "call double");
    assert.deepEqual(result, { n: 42 });
    const call = env.service.requests(`call.${rid}.double`)[0];
    assert.ok(call);
    assert.deepEqual(call.data["params"], { x: 21 });

    const created = await within(client.call(rid, "create"), 3000, "call create");
    assert.ok(isResModel(created), "a resource response is not a ResModel");
    assert.equal(created.getResourceId(), `${p}.created`);
    assert.deepEqual(created.toJSON(), { created: true });
  });

  test("errors: not found, access denied, and a service error on call", async (t) => {
    const p = env.prefix("rc");
    env.service.handle(`access.${p}.missing`, (r) => r.access(true, "*"));
    env.service.handle(`get.${p}.missing`, (r) => r.error("system.notFound", "Not found"));
    env.service.handle(`access.${p}.secret`, (r) => r.access(false));
    env.service.handle(`get.${p}.secret`, (r) => r.model({ hidden: true }));
    env.service.serveModel(`${p}.model`, { a: 1 });
    env.service.handle(`call.${p}.model.fail`, (r) =>
      r.error("custom.failure", "It failed", { why: "because" }),
    );
    const { client } = await connectClient(t);

    const expectError = async (request: Promise<unknown>, code: string, message?: string) => {
      await assert.rejects(within(request, 3000, code), (err: unknown) => {
        assert.ok(isResClientError(err), `not a ResError: ${String(err)}`);
        assert.equal(err.code, code);
        if (message !== undefined) assert.equal(err.message, message);
        return true;
      });
    };
    await expectError(client.get(`${p}.missing`), "system.notFound", "Not found");
    await expectError(client.get(`${p}.secret`), "system.accessDenied", "Access denied");
    await expectError(client.call(`${p}.model`, "fail"), "custom.failure", "It failed");
    // A failed get leaves nothing in resclient's cache.
    assert.equal(client.cache[`${p}.missing`], undefined);
  });
});

describe("gateway shutdown", () => {
  test(
    "an embedding process exits promptly after gateway.stop() with a get request pending",
    {},
    async () => {
      const script = join(import.meta.dirname, "..", "support", "e2e-stop-scenario.js");
      const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      try {
        // Wait for the scenario to stop its gateway (it starts nats-server first).
        await until(() => stdout.includes("stopped") || child.exitCode !== null, 10_000, "stop");
        assert.ok(stdout.includes("stopped"), `the scenario failed: ${stderr}`);
        const stoppedAt = Date.now();
        const code = await within(exited, 2500, "exit after gateway.stop()");
        assert.equal(code, 0, stderr);
        assert.ok(Date.now() - stoppedAt < 2500);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    },
  );
});
