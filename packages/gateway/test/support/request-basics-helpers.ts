/**
 * Helpers for the request-basics integration tests (subscribe, get, unsubscribe,
 * invalid requests, service replies): clients that handshake a protocol version,
 * extra gateways (sharing the file's NATS server, or on a NATS server of their own
 * with no service at all), the resource fixtures of Resgate's test/resources.go
 * under a per-test prefix, and the access/get reply combinations of
 * Resgate's TestResponseOnPrimitiveModelRetrieval.
 */
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { pino } from "pino";
import { defaultConfig, Gateway, type Config } from "../../src/index.js";
import type { TestEnv } from "./env.js";
import { NatsServer } from "./nats-server.js";
import type { ServiceRequest } from "./service.js";
import { TestClient, type Response } from "./ws-client.js";

export interface ErrorObj {
  code: string;
  message: string;
  data?: unknown;
}

/** Resgate's pre-defined errors (server/reserr/reserr.go), as clients see them. */
export const Err = {
  accessDenied: { code: "system.accessDenied", message: "Access denied" },
  internalError: { code: "system.internalError", message: "Internal error" },
  disposing: { code: "system.internalError", message: "Internal error: disposing connection" },
  invalidParams: { code: "system.invalidParams", message: "Invalid parameters" },
  invalidRequest: { code: "system.invalidRequest", message: "Invalid request" },
  noSubscription: { code: "system.noSubscription", message: "No subscription" },
  notFound: { code: "system.notFound", message: "Not found" },
  timeout: { code: "system.timeout", message: "Request timeout" },
  subjectTooLong: { code: "system.subjectTooLong", message: "Subject too long" },
  subscriptionLimitExceeded: {
    code: "system.subscriptionLimitExceeded",
    message: "Subscription limit exceeded",
  },
  missingResult: {
    code: "system.internalError",
    message: "Internal error: response missing result",
  },
  invalidResponse: {
    code: "system.internalError",
    message: "Internal error: invalid service response",
  },
} as const satisfies Record<string, ErrorObj>;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` until it holds, failing after `ms`. */
export async function waitUntil(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves with `p`, or rejects when it takes longer than `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Resgate's test clients handshake v1.999.999 (test/test.go); the gateway answers 1.2.3. */
export const LATEST = "1.999.999";

async function handshake(c: TestClient, version: string): Promise<void> {
  const r = await c.request("version", { protocol: version });
  assert.deepEqual(r, { id: r.id, result: { protocol: "1.2.3" } }, "version handshake");
}

/** A client of the file's gateway that has sent a version request (none when version is ""). */
export async function connectVersion(
  env: TestEnv,
  t: TestContext,
  version = LATEST,
): Promise<TestClient> {
  const c = await env.connect(t);
  if (version !== "") await handshake(c, version);
  return c;
}

/** A client of another gateway, closed when the test ends. */
export async function connectUrl(
  url: string,
  t: TestContext,
  version = LATEST,
): Promise<TestClient> {
  const c = await TestClient.connect(url);
  t.after(() => c.close());
  if (version !== "") await handshake(c, version);
  return c;
}

function gatewayConfig(natsUrl: string, overrides: Partial<Config>): Config {
  return {
    ...defaultConfig(),
    natsUrl,
    addr: "127.0.0.1",
    port: 0,
    requestTimeout: 1000,
    ...overrides,
  };
}

/** A second gateway on a NATS server: the file's (to share its service) or its own. */
export class ExtraGateway {
  private constructor(
    readonly gateway: Gateway,
    private readonly nats: NatsServer | undefined,
  ) {}

  /** A gateway on the file's NATS server, so the file's scripted service answers it. */
  static async onEnv(
    env: TestEnv,
    overrides: Partial<Config>,
    unsubscribeDelayMs = 5000,
  ): Promise<ExtraGateway> {
    const gw = new Gateway(gatewayConfig(env.nats.url, overrides), {
      logger: pino({ level: "silent" }),
      unsubscribeDelayMs,
    });
    await gw.start();
    return new ExtraGateway(gw, undefined);
  }

  /** A gateway on a NATS server of its own, where nothing answers any request. */
  static async alone(overrides: Partial<Config> = {}): Promise<ExtraGateway> {
    const nats = await NatsServer.start();
    const gw = new Gateway(gatewayConfig(nats.url, overrides), {
      logger: pino({ level: "silent" }),
    });
    await gw.start();
    return new ExtraGateway(gw, nats);
  }

  get natsUrl(): string {
    return this.gateway.config.natsUrl;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.gateway.address().port}${this.gateway.config.wsPath}`;
  }

  async stop(): Promise<void> {
    await this.gateway.stop();
    await this.nats?.stop();
  }
}

// ---- resources (Resgate's test/resources.go, "test" replaced by a prefix) ----------

export type Fixture =
  | { kind: "model"; data: Record<string, unknown>; client?: unknown; legacy?: unknown }
  | { kind: "collection"; data: unknown[]; client?: unknown; legacy?: unknown }
  | { kind: "error"; error: ErrorObj };

/** The resources of Resgate's resources.go, keyed by full rid (`<p>.model.parent`). */
export function fixtures(p: string): Map<string, Fixture> {
  const ref = (s: string) => ({ rid: `${p}.${s}` });
  const m = (data: Record<string, unknown>): Fixture => ({ kind: "model", data });
  const c = (data: unknown[]): Fixture => ({ kind: "collection", data });
  const entries: [string, Fixture][] = [
    ["model", m({ string: "foo", int: 42, bool: true, null: null })],
    ["model.parent", m({ name: "parent", child: ref("model") })],
    ["model.secondparent", m({ name: "secondparent", child: ref("model") })],
    ["model.grandparent", m({ name: "grandparent", child: ref("model.parent") })],
    ["model.brokenchild", m({ name: "brokenchild", child: ref("err.notFound") })],
    [
      "model.soft",
      {
        kind: "model",
        data: { name: "soft", child: { rid: `${p}.model`, soft: true } },
        // Clients older than v1.2.1 get a soft reference as its rid.
        legacy: { name: "soft", child: `${p}.model` },
      },
    ],
    [
      "model.soft.parent",
      m({ name: "softparent", child: { rid: `${p}.model.soft`, soft: false } }),
    ],
    [
      "model.data",
      {
        kind: "model",
        data: {
          name: "data",
          primitive: { data: 12 },
          object: { data: { foo: ["bar"] } },
          array: { data: [{ foo: "bar" }] },
        },
        client: {
          name: "data",
          primitive: 12,
          object: { data: { foo: ["bar"] } },
          array: { data: [{ foo: "bar" }] },
        },
        legacy: { name: "data", primitive: 12, object: "[Data]", array: "[Data]" },
      },
    ],
    ["model.data.parent", m({ name: "dataparent", child: ref("model.data") })],
    ["m.a", m({ a: ref("m.a") })],
    ["m.b", m({ c: ref("m.c") })],
    ["m.c", m({ b: ref("m.b") })],
    ["m.d", m({ e: ref("m.e"), f: ref("m.f") })],
    ["m.e", m({ d: ref("m.d") })],
    ["m.f", m({ d: ref("m.d") })],
    ["m.g", m({ e: ref("m.e"), f: ref("m.f") })],
    ["m.h", m({ e: ref("m.e") })],
    ["collection", c(["foo", 42, true, null])],
    ["collection.parent", c(["parent", ref("collection")])],
    ["collection.secondparent", c(["secondparent", ref("collection")])],
    ["collection.grandparent", c(["grandparent", ref("collection.parent")])],
    ["collection.brokenchild", c(["brokenchild", ref("err.notFound")])],
    [
      "collection.soft",
      {
        kind: "collection",
        data: ["soft", { rid: `${p}.collection`, soft: true }],
        legacy: ["soft", `${p}.collection`],
      },
    ],
    ["collection.soft.parent", c(["softparent", { rid: `${p}.collection.soft`, soft: false }])],
    [
      "collection.data",
      {
        kind: "collection",
        data: ["data", { data: 12 }, { data: { foo: ["bar"] } }, { data: [{ foo: "bar" }] }],
        client: ["data", 12, { data: { foo: ["bar"] } }, { data: [{ foo: "bar" }] }],
        legacy: ["data", 12, "[Data]", "[Data]"],
      },
    ],
    ["collection.data.parent", c(["dataparent", ref("collection.data")])],
    ["c.a", c([ref("c.a")])],
    ["c.b", c([ref("c.c")])],
    ["c.c", c([ref("c.b")])],
    ["c.d", c([ref("c.e"), ref("c.f")])],
    ["c.e", c([ref("c.d")])],
    ["c.f", c([ref("c.d")])],
    ["c.g", c([ref("c.e"), ref("c.f")])],
    ["c.h", c([ref("c.e")])],
    ["err.notFound", { kind: "error", error: Err.notFound }],
    ["err.internalError", { kind: "error", error: Err.internalError }],
  ];
  return new Map(entries.map(([k, v]) => [`${p}.${k}`, v]));
}

/** Answers a get request with a fixture, as Resgate's test service does. */
export function respondFixture(req: ServiceRequest, fx: Fixture | undefined): void {
  if (!fx) req.error(Err.notFound.code, Err.notFound.message);
  else if (fx.kind === "model") req.model(fx.data);
  else if (fx.kind === "collection") req.collection(fx.data);
  else req.error(fx.error.code, fx.error.message);
}

/** Standing answers for every fixture under `p`: full access and the fixture's data. */
export function serveFixtures(env: TestEnv, p: string): Map<string, Fixture> {
  const fx = fixtures(p);
  env.service.handle(`access.${p}.>`, (r) => r.access(true, "*"));
  env.service.handle(`get.${p}.>`, (r) => respondFixture(r, fx.get(r.subject.slice(4))));
  return fx;
}

/** The resource set a client gets for `rids` (in any order), as Resgate builds it. */
export function resourceSet(
  fx: Map<string, Fixture>,
  rids: readonly string[],
  legacy = false,
): Record<string, unknown> {
  const models: Record<string, unknown> = {};
  const collections: Record<string, unknown> = {};
  const errors: Record<string, unknown> = {};
  for (const rid of rids) {
    const f = fx.get(rid);
    assert.ok(f, `no fixture ${rid}`);
    if (f.kind === "error") errors[rid] = f.error;
    else {
      const v = (legacy ? f.legacy : undefined) ?? f.client ?? f.data;
      if (f.kind === "model") models[rid] = v;
      else collections[rid] = v;
    }
  }
  const out: Record<string, unknown> = {};
  if (Object.keys(models).length > 0) out["models"] = models;
  if (Object.keys(collections).length > 0) out["collections"] = collections;
  if (Object.keys(errors).length > 0) out["errors"] = errors;
  return out;
}

/** Asserts that a response is exactly a result. */
export function assertResult(r: Response, result: unknown): void {
  assert.deepEqual(r, { id: r.id, result });
}

/** Asserts that a response is exactly an error. */
export function assertError(r: Response, error: ErrorObj): void {
  assert.deepEqual(r, { id: r.id, error });
}

/** Asserts that a response is an error with the code (Resgate asserts only the code there). */
export function assertErrorCode(r: Response, code: string): void {
  assert.ok(r.error, `expected error ${code}, got ${JSON.stringify(r)}`);
  assert.equal(r.error.code, code, `expected error ${code}, got ${JSON.stringify(r)}`);
  assert.equal(r.result, undefined);
  assert.equal(typeof r.error.message, "string");
}

/** Publishes a custom event and asserts the client gets it. */
export async function assertEvent(env: TestEnv, c: TestClient, rid: string): Promise<void> {
  env.service.event(rid, "custom", { foo: "bar" });
  const ev = await c.nextEvent(`${rid}.custom`);
  assert.deepEqual(ev, { event: `${rid}.custom`, data: { foo: "bar" } });
}

/** Publishes a custom event and asserts the client does not get it. */
export async function assertNoEvent(
  env: TestEnv,
  c: TestClient,
  rid: string,
  ms = 150,
): Promise<void> {
  env.service.event(rid, "custom", { foo: "bar" });
  await env.service.flush();
  await c.noEvent(ms);
}

// ---- access/get reply combinations (TestResponseOnPrimitiveModelRetrieval) ----------

/** How the scripted service answers a request: a reply text, or not at all. */
export type ServiceReply = { raw: string } | "timeout";

export type Expected = { result: unknown } | { error: ErrorObj } | { code: string };

export interface Combo {
  name: string;
  get: ServiceReply;
  access: ServiceReply;
  expected: Expected;
}

export const MODEL = { string: "foo", int: 42, bool: true, null: null };

const raw = (v: unknown): ServiceReply => ({ raw: JSON.stringify(v) });
const errReply = (e: ErrorObj): ServiceReply => raw({ error: e });

/** The first 32 rows of Resgate's table (the hostile replies are in 17-service-replies). */
export function replyCombos(rid: string): Combo[] {
  const modelGet = raw({ result: { model: MODEL } });
  const brokenModel = raw({ result: { foo: "bar" } });
  const fullAccess = raw({ result: { get: true } });
  const noAccess = raw({ result: { get: false } });
  const brokenAccess = raw({ result: { get: "foo" } });
  const ok: Expected = { result: { models: { [rid]: MODEL } } };
  const denied: Expected = { error: Err.accessDenied };
  const internal: Expected = { code: Err.internalError.code };
  const timeout: Expected = { error: Err.timeout };
  const gets: [string, ServiceReply, Expected][] = [
    ["model", modelGet, ok],
    ["notFound", errReply(Err.notFound), { error: Err.notFound }],
    ["internalError", errReply(Err.internalError), { error: Err.internalError }],
    ["timeout", "timeout", timeout],
    ["broken model", brokenModel, internal],
  ];
  const out: Combo[] = [];
  for (const [gname, get, gexp] of gets) {
    const accesses: [string, ServiceReply, Expected][] = [
      ["full access", fullAccess, gexp],
      ["no access", noAccess, denied],
      ["accessDenied error", errReply(Err.accessDenied), denied],
      gname === "internalError"
        ? ["disposing error", errReply(Err.disposing), { error: Err.disposing }]
        : ["internalError error", errReply(Err.internalError), { error: Err.internalError }],
      ["access timeout", "timeout", timeout],
      ["broken access", brokenAccess, internal],
    ];
    for (const [aname, access, expected] of accesses) {
      out.push({ name: `get ${gname}, ${aname}`, get, access, expected });
    }
  }
  out.push({
    name: "whitespace around the get reply",
    get: { raw: '\r\n \t{ "result":\t \r\n' + JSON.stringify({ model: MODEL }) + "\t} \t\n" },
    access: fullAccess,
    expected: ok,
  });
  out.push({
    name: "whitespace around the access reply",
    get: modelGet,
    access: { raw: '\r\n \t{"result":{"get":\ttrue}}\n' },
    expected: ok,
  });
  return out;
}

function answer(req: ServiceRequest, reply: ServiceReply): void {
  if (reply !== "timeout") req.respondRaw(reply.raw);
}

/** Asserts a client response against an expectation. */
export function assertExpected(r: Response, expected: Expected): void {
  if ("result" in expected) assertResult(r, expected.result);
  else if ("error" in expected) assertError(r, expected.error);
  else assertErrorCode(r, expected.code);
}

/**
 * Sends `<method>.<rid>`, answers the access and get requests in the given order,
 * and asserts the client's response.
 */
export async function runCombo(
  env: TestEnv,
  c: TestClient,
  combo: Combo & { method: "get" | "subscribe"; rid: string; getFirst: boolean },
): Promise<void> {
  const id = c.sendRequest(`${combo.method}.${combo.rid}`);
  const getReq = env.service.next(`get.${combo.rid}`);
  const accessReq = env.service.next(`access.${combo.rid}`);
  // Whichever is awaited second must not reject unobserved meanwhile.
  getReq.catch(() => undefined);
  accessReq.catch(() => undefined);
  if (combo.getFirst) {
    answer(await getReq, combo.get);
    answer(await accessReq, combo.access);
  } else {
    answer(await accessReq, combo.access);
    answer(await getReq, combo.get);
  }
  assertExpected(await c.response(id, 4000), combo.expected);
}

/** Asserts that a client and the gateway still work: a version request and a subscribe. */
export async function assertStillWorks(env: TestEnv, c: TestClient): Promise<void> {
  const r = await c.request("version", { protocol: LATEST });
  assertResult(r, { protocol: "1.2.3" });
  const rid = `${env.prefix("ok")}.model`;
  env.service.serveModel(rid, { ok: true });
  assertResult(await c.request(`subscribe.${rid}`), { models: { [rid]: { ok: true } } });
}
