/**
 * Helpers for the event and subscription-tree tests (07, 08, 18, 29, 30, 40):
 * clients with a chosen protocol version, standing service answers for a set of
 * resources, exact event assertions, and a marker event to prove that nothing
 * else was sent before it.
 */
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import type { TestEnv } from "./env.js";
import type { ServiceRequest } from "./service.js";
import type { ClientEvent, TestClient } from "./ws-client.js";

/** The protocol version a "modern" client claims (as Resgate's own tests do). */
export const LATEST = "1.999.999";

/** The payload of custom events used in the tests. */
export const CUSTOM = { foo: "bar" };

/** The payload of the marker event that closes a "nothing else was sent" check. */
export const MARKER = { marker: true };

/** The unsubscribe event data Resgate sends after a delete event. */
export const DELETED_REASON = { reason: { code: "system.deleted", message: "Deleted" } };

export type Resource = { model: Record<string, unknown> } | { collection: unknown[] };

/**
 * Parses JSON written with `@` standing for the test's prefix and a dot, so that
 * `"@model"` becomes `"<prefix>.model"`.
 */
export function fill(p: string, json: string): unknown {
  return JSON.parse(json.replaceAll("@", `${p}.`));
}

/** Like fill, for a model. */
export function fillModel(p: string, json: string): Record<string, unknown> {
  return fill(p, json) as Record<string, unknown>;
}

/** Like fill, for a collection. */
export function fillCollection(p: string, json: string): unknown[] {
  return fill(p, json) as unknown[];
}

/**
 * Opens a client and sets its protocol version; `null` leaves the version unset
 * (a legacy v1.1 client).
 */
export async function connectAs(
  env: TestEnv,
  t: TestContext,
  protocol: string | null = LATEST,
): Promise<TestClient> {
  const c = await env.connect(t);
  if (protocol !== null) {
    const r = await c.request("version", { protocol });
    assert.equal(r.error, undefined, `version ${protocol}: ${JSON.stringify(r.error)}`);
  }
  return c;
}

/** Standing answers (full access and the data) for every resource given. */
export function serve(env: TestEnv, resources: Record<string, Resource>): void {
  for (const [rid, r] of Object.entries(resources)) {
    if ("model" in r) env.service.serveModel(rid, r.model);
    else env.service.serveCollection(rid, r.collection);
  }
}

/** Answers a get request with a resource. */
export function answer(req: ServiceRequest, r: Resource): void {
  if ("model" in r) req.model(r.model);
  else req.collection(r.collection);
}

/**
 * Subscribes to `rid` and answers its access and get requests by hand (no
 * standing handler must match them). Returns the client result.
 */
export async function subscribeManual(
  env: TestEnv,
  c: TestClient,
  rid: string,
  r: Resource,
): Promise<unknown> {
  const id = c.sendRequest(`subscribe.${rid}`);
  const [access, get] = await Promise.all([
    env.service.next(`access.${rid}`),
    env.service.next(`get.${rid}`),
  ]);
  access.access(true, "*");
  answer(get, r);
  const resp = await c.response(id);
  assert.equal(resp.error, undefined, `subscribe ${rid}: ${JSON.stringify(resp.error)}`);
  return resp.result;
}

/** Subscribes to `rid` (answered by standing handlers) and returns the result. */
export function subscribe(c: TestClient, rid: string): Promise<unknown> {
  return c.result(`subscribe.${rid}`);
}

/** Unsubscribes from `rid`, failing on an error response. */
export async function unsubscribe(c: TestClient, rid: string): Promise<void> {
  await c.result(`unsubscribe.${rid}`);
}

/** Waits for the next event and asserts that the whole event object is exactly as given. */
export async function expectEvent(
  c: TestClient,
  event: string,
  ...data: [] | [unknown]
): Promise<ClientEvent> {
  const ev = await c.nextEvent();
  const expected: Record<string, unknown> = { event };
  if (data.length > 0) expected["data"] = data[0];
  assert.deepEqual(ev, expected, `expected event ${event}`);
  return ev;
}

/**
 * Publishes a marker custom event on `rid` (which the client must be subscribed
 * to) and asserts that it is the very next event the client receives: any event
 * sent before the marker fails the test.
 */
export async function expectMarker(env: TestEnv, c: TestClient, rid: string): Promise<void> {
  env.service.event(rid, "custom", MARKER);
  await expectEvent(c, `${rid}.custom`, MARKER);
}

/** Publishes a custom event on `rid` and asserts that the client gets it next. */
export async function expectCustom(env: TestEnv, c: TestClient, rid: string): Promise<void> {
  env.service.event(rid, "custom", CUSTOM);
  await expectEvent(c, `${rid}.custom`, CUSTOM);
}

/**
 * Publishes a custom event on `rid` and asserts that the client does not get it:
 * the next event must be the marker published on `markerRid` right after.
 */
export async function expectNoCustom(
  env: TestEnv,
  c: TestClient,
  rid: string,
  markerRid: string,
): Promise<void> {
  env.service.event(rid, "custom", CUSTOM);
  await expectMarker(env, c, markerRid);
  // In case the gateway handled the two resources' events out of order.
  await c.noEvent(50);
}

/** The number of requests the service has received on `subject`. */
export function count(env: TestEnv, subject: string): number {
  return env.service.requests(subject).length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
