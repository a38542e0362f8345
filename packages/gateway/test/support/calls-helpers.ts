/**
 * Helpers for the call, auth, token, access, system.reset and query integration
 * tests: versioned clients, scripted subscriptions, exact event checks, and a raw
 * client that knows the upgrade request it sent (auth requests describe it).
 */
import assert from "node:assert/strict";
import type { ClientRequest, IncomingMessage } from "node:http";
import type { TestContext } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { WebSocket } from "ws";
import type { TestEnv } from "./env.js";
import type { ServiceRequest } from "./service.js";
import type { ClientEvent, Response, TestClient } from "./ws-client.js";

/** How long tests wait to see that nothing (no request, no event) happens. */
export const QUIET_MS = 100;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The request body the gateway sent, parsed as is (no defaults filled in). */
export function body(req: ServiceRequest): unknown {
  return JSON.parse(req.raw) as unknown;
}

/** Opens a client and sends the version request (protocol 1.2.3 unless told). */
export async function connectVersion(
  env: TestEnv,
  t: TestContext,
  protocol = "1.2.3",
): Promise<TestClient> {
  const c = await env.connect(t);
  const r = await c.request("version", { protocol });
  assert.deepEqual(r.result, { protocol: "1.2.3" });
  return c;
}

/** Waits for the next event and asserts all of it: name and data. */
export async function expectEvent(
  c: TestClient,
  name: string,
  data: unknown,
  ms?: number,
): Promise<void> {
  const ev = await c.nextEvent(undefined, ms);
  assert.deepEqual(ev, { event: name, data });
}

/** Waits for `expected.length` events and asserts them in any order. */
export async function expectEventsAnyOrder(c: TestClient, expected: ClientEvent[]): Promise<void> {
  const got: ClientEvent[] = [];
  for (let i = 0; i < expected.length; i++) got.push(await c.nextEvent());
  const byName = (a: ClientEvent, b: ClientEvent) => a.event.localeCompare(b.event);
  assert.deepEqual(got.sort(byName), [...expected].sort(byName));
}

/** Asserts that the service got no request on `subject` so far, handled or not. */
export function assertNoRequest(env: TestEnv, subject: string): void {
  const reqs = env.service.requests(subject);
  assert.equal(reqs.length, 0, `unexpected request on ${subject}: ${reqs[0]?.raw ?? ""}`);
}

/**
 * Asserts that, within QUIET_MS, no request on `subject` is waiting that the test
 * has not taken with `env.service.next()`.
 */
export async function noRequestSoon(env: TestEnv, ...subjects: string[]): Promise<void> {
  await sleep(QUIET_MS);
  for (const s of subjects) await env.service.noRequest(s, 0);
}

export interface Served {
  model?: Record<string, unknown>;
  collection?: unknown[];
  /** The access result; `{"get":true}` unless told. */
  access?: Record<string, unknown>;
}

/**
 * Subscribes to a resource without query: answers its access and get requests and
 * asserts the client response. Returns the connection ID from the access request.
 */
export async function subscribe(
  env: TestEnv,
  c: TestClient,
  rid: string,
  served: Served,
): Promise<string> {
  const id = c.sendRequest(`subscribe.${rid}`);
  const access = await env.service.next(`access.${rid}`);
  const get = await env.service.next(`get.${rid}`);
  access.result(served.access ?? { get: true });
  const value = served.model ?? served.collection;
  get.result(served.model ? { model: served.model } : { collection: served.collection });
  const r = await c.response(id);
  const group = served.model ? "models" : "collections";
  assert.deepEqual(r, { id, result: { [group]: { [rid]: value } } });
  return access.cid;
}

export const MODEL = { string: "foo", int: 42, bool: true, null: null };
export const COLLECTION = ["foo", 42, true, null];

/**
 * Subscribes to `<parent>`, a model referencing the model `<child>` (not yet
 * subscribed). Returns the connection ID.
 */
export async function subscribeParent(
  env: TestEnv,
  c: TestClient,
  rids: { parent: string; child: string },
): Promise<string> {
  const parentModel = { name: "parent", child: { rid: rids.child } };
  const id = c.sendRequest(`subscribe.${rids.parent}`);
  const access = await env.service.next(`access.${rids.parent}`);
  const get = await env.service.next(`get.${rids.parent}`);
  access.access(true);
  get.model(parentModel);
  (await env.service.next(`get.${rids.child}`)).model(MODEL);
  const r = await c.response(id);
  assert.deepEqual(r, {
    id,
    result: { models: { [rids.child]: MODEL, [rids.parent]: parentModel } },
  });
  return access.cid;
}

export interface QueryServed {
  /** The query the client uses ("" for none). */
  query: string;
  /** The normalized query in the get reply. */
  normalized: string;
  model?: Record<string, unknown>;
  collection?: unknown[];
}

/**
 * Subscribes to `<name>?<query>`: asserts the access and get requests carry the
 * query, answers the get with the normalized query, and asserts the client response.
 * Returns the connection ID.
 */
export async function subscribeQuery(
  env: TestEnv,
  c: TestClient,
  name: string,
  q: QueryServed,
): Promise<string> {
  const rid = q.query === "" ? name : `${name}?${q.query}`;
  const id = c.sendRequest(`subscribe.${rid}`);
  const access = await env.service.next(`access.${name}`);
  const get = await env.service.next(`get.${name}`);
  const withQuery = q.query === "" ? {} : { query: q.query };
  assert.deepEqual(body(access), { token: null, ...withQuery, cid: access.cid });
  assert.deepEqual(body(get), withQuery);
  access.access(true);
  if (q.model) get.model(q.model, q.normalized);
  else get.collection(q.collection ?? [], q.normalized);
  const r = await c.response(id);
  const group = q.model ? "models" : "collections";
  assert.deepEqual(r, { id, result: { [group]: { [rid]: q.model ?? q.collection } } });
  return access.cid;
}

/** The connection ID, learnt from an auth request on `auth.<prefix>.cid.get`. */
export async function getCid(env: TestEnv, c: Requester, prefix: string): Promise<string> {
  const id = c.sendRequest(`auth.${prefix}.cid.get`);
  const req = await env.service.next(`auth.${prefix}.cid.get`);
  req.result(null);
  await c.response(id);
  return req.cid;
}

/**
 * A raw RES client that records the upgrade request it sent (header names, the
 * Sec-WebSocket-Key, its local port), so that auth request payloads can be checked
 * in full.
 */
export class HeaderClient {
  private nextId = 1;
  private readonly responses = new Map<number, Response>();
  private readonly waiters = new Map<number, (r: Response) => void>();
  readonly events: ClientEvent[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly sent: { key: string; headerNames: string[]; localPort: number },
  ) {
    ws.on("message", (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as Record<string, unknown>;
      if (typeof msg["event"] === "string") {
        this.events.push(msg as unknown as ClientEvent);
        return;
      }
      const r = msg as unknown as Response;
      const w = this.waiters.get(r.id);
      if (w) {
        this.waiters.delete(r.id);
        w(r);
      } else {
        this.responses.set(r.id, r);
      }
    });
  }

  /** Connects to `url` (path and query included) with extra upgrade request headers. */
  static connect(
    url: string,
    headers: Record<string, string | string[]>,
    t: TestContext,
  ): Promise<HeaderClient> {
    return new Promise((resolve, reject) => {
      let key = "";
      let headerNames: string[] = [];
      let localPort = 0;
      const ws = new WebSocket(url, {
        headers,
        finishRequest: (req: ClientRequest) => {
          key = String(req.getHeader("sec-websocket-key"));
          headerNames = req.getHeaderNames();
          req.end();
        },
      });
      ws.once("upgrade", (res: IncomingMessage) => {
        localPort = res.socket.localPort ?? 0;
      });
      const timer = setTimeout(() => reject(new Error("connect timeout")), 3000);
      ws.once("open", () => {
        clearTimeout(timer);
        t.after(() => ws.close());
        resolve(new HeaderClient(ws, { key, headerNames, localPort }));
      });
      ws.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  sendRequest(method: string, params?: unknown): number {
    const id = this.nextId++;
    this.ws.send(JSON.stringify(params === undefined ? { id, method } : { id, method, params }));
    return id;
  }

  response(id: number, ms = 3000): Promise<Response> {
    const r = this.responses.get(id);
    if (r) {
      this.responses.delete(id);
      return Promise.resolve(r);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`no response to request ${id} within ${ms} ms`));
      }, ms);
      this.waiters.set(id, (resp) => {
        clearTimeout(timer);
        resolve(resp);
      });
    });
  }

  request(method: string, params?: unknown): Promise<Response> {
    return this.response(this.sendRequest(method, params));
  }
}

/** The `header` an auth request carries for a HeaderClient: Go's canonical names. */
export function upgradeHeader(
  c: HeaderClient,
  extra: Record<string, string[]> = {},
): Record<string, string[]> {
  return {
    "Sec-Websocket-Version": ["13"],
    "Sec-Websocket-Key": [c.sent.key],
    Connection: ["Upgrade"],
    Upgrade: ["websocket"],
    "Sec-Websocket-Extensions": ["permessage-deflate; client_max_window_bits"],
    ...extra,
  };
}

/** The fields an auth (or token reset) request adds for a HeaderClient on `env`. */
export function requestDescription(
  env: TestEnv,
  c: HeaderClient,
  f: { uri: string; extra?: Record<string, string[]> },
): Record<string, unknown> {
  return {
    header: upgradeHeader(c, f.extra),
    host: `127.0.0.1:${env.gateway.address().port}`,
    remoteAddr: `127.0.0.1:${c.sent.localPort}`,
    uri: f.uri,
  };
}

/** Opens a HeaderClient on the gateway's WebSocket path and sends version 1.2.3. */
export async function connectHeaderClient(
  env: TestEnv,
  t: TestContext,
  opts: { headers?: Record<string, string | string[]>; query?: string; version?: string } = {},
): Promise<HeaderClient> {
  const c = await HeaderClient.connect(env.wsUrl + (opts.query ?? ""), opts.headers ?? {}, t);
  if (opts.version !== "") {
    const r = await c.request("version", { protocol: opts.version ?? "1.2.3" });
    assert.deepEqual(r.result, { protocol: "1.2.3" });
  }
  return c;
}

/** What sending requests needs: a TestClient or a HeaderClient. */
export interface Requester {
  sendRequest(method: string, params?: unknown): number;
  response(id: number, ms?: number): Promise<Response>;
}

/**
 * Publishes a token event and waits until the gateway uses the token: auth requests
 * on `auth.<prefix>.token.sync` are sent until one carries `token` (null when the
 * event has no token).
 */
export async function setToken(
  env: TestEnv,
  c: Requester,
  o: { cid: string; prefix: string; token: unknown; tid?: string },
): Promise<void> {
  env.service.token(o.cid, o.token, o.tid);
  const subject = `auth.${o.prefix}.token.sync`;
  let got: unknown;
  for (let i = 0; i < 100; i++) {
    const id = c.sendRequest(subject);
    const req = await env.service.next(subject);
    got = (body(req) as Record<string, unknown>)["token"];
    req.result(null);
    await c.response(id);
    if (isDeepStrictEqual(got, o.token ?? null)) return;
    await sleep(10);
  }
  throw new Error(`token ${JSON.stringify(o.token)} not in use; last seen ${JSON.stringify(got)}`);
}
