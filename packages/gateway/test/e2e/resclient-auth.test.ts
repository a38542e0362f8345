// End to end with the official resclient: log in with client.authenticate, call a
// method on a model, and see access revoked live (an unsubscribe event) when the
// service changes the connection's token.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TestEnv } from "../support/env.js";
import {
  RecordingSocketFactory,
  ResClient,
  isResClientError,
  isResModel,
} from "../support/resclient.js";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
});

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

test("authenticate, call, and access revoked live", async (t) => {
  const p = env.prefix("auth");
  const s = env.service;
  // Login: a token event for the connection, then the reply.
  s.handle(`auth.${p}.session.login`, (r) => {
    const params = r.data["params"] as { user?: string; password?: string } | null;
    if (params?.password !== "secret") {
      r.error("system.accessDenied", "Access denied");
      return;
    }
    s.token(r.cid, { user: params.user, role: "admin" });
    void s.flush().then(() => r.result({ user: params.user }));
  });
  // Only admins may read and call the document.
  s.handle(`access.${p}.doc`, (r) => {
    const token = r.data["token"] as { role?: string } | null;
    if (token?.role === "admin") r.access(true, "read");
    else r.error("system.accessDenied", "Access denied");
  });
  s.handle(`get.${p}.doc`, (r) => r.model({ text: "classified" }));
  s.handle(`call.${p}.doc.read`, (r) => r.result({ read: true, by: r.cid }));

  const sockets = new RecordingSocketFactory(env.wsUrl);
  const client = new ResClient(sockets.create, { reconnectDelay: 60_000 });
  t.after(() => {
    client.disconnect();
    sockets.terminateAll();
  });
  await within(client.connect(), 3000, "connect");

  // Before logging in, the document is denied.
  const denied = await client.get(`${p}.doc`).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isResClientError(denied));
  assert.equal(denied.code, "system.accessDenied");

  // A wrong password is an error; the right one logs in.
  const wrong = await client
    .authenticate(`${p}.session`, "login", { user: "ann", password: "x" })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(isResClientError(wrong));
  assert.deepEqual(
    await within(
      client.authenticate(`${p}.session`, "login", { user: "ann", password: "secret" }),
      3000,
      "login",
    ),
    { user: "ann" },
  );

  const doc = await within(client.get(`${p}.doc`), 3000, "get");
  assert.ok(isResModel(doc));
  assert.equal(doc.props["text"], "classified");
  const result = (await within(doc.call("read"), 3000, "call")) as { read: boolean; by: string };
  assert.equal(result.read, true);
  // The access request carried the token set by the login.
  const access = s.requests(`access.${p}.doc`).at(-1);
  assert.deepEqual(access?.data["token"], { user: "ann", role: "admin" });

  // The service demotes the user: access is checked again and the model is unsubscribed.
  const unsubscribed = new Promise<void>((resolve) => doc.on("unsubscribe", () => resolve()));
  s.token(result.by, { user: "ann", role: "guest" });
  await within(unsubscribed, 3000, "unsubscribe event");
  const frame = sockets.events(`${p}.doc`).find((e) => e.event === `${p}.doc.unsubscribe`);
  assert.deepEqual(frame?.data, {
    reason: { code: "system.accessDenied", message: "Access denied" },
  });
});
