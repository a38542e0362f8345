/**
 * jwt-auth end to end: official resclients log in with signed JWTs, read and edit
 * secrets as their role allows, and lose access live on logout and on revocation.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { JwtError, signJwt, verifyJwt, type Claims } from "../jwt-auth/jwt.js";
import { issueToken, jwtAuthExample } from "../jwt-auth/service.js";
import { ExampleEnv } from "./support/env.js";
import { EventLog, getModel, resError, type ResClient } from "./support/resclient.js";
import { within } from "./support/wait.js";

const SECRET = "a test secret, 32 bytes or more..";

describe("jwt", () => {
  const claims: Claims = { sub: "alice", role: "admin", jti: "t1", iat: 1000, exp: 2000 };

  test("a signed token verifies, with its claims", () => {
    const token = signJwt(claims, SECRET);
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.deepEqual(verifyJwt(token, SECRET, 1500), claims);
  });

  test("a token is refused for its signature, algorithm, form or time", () => {
    const token = signJwt(claims, SECRET);
    const [header = "", payload = "", sig = ""] = token.split(".");
    const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");
    const refused = (t: string, message: string, now = 1500): void => {
      assert.throws(() => verifyJwt(t, SECRET, now), new JwtError(message));
    };
    refused(signJwt(claims, "another secret"), "bad signature");
    refused(`${header}.${part({ ...claims, role: "root" })}.${sig}`, "bad signature");
    refused(`${part({ alg: "none" })}.${payload}.`, "not a compact JWT");
    refused(`${part({ alg: "none" })}.${payload}.${sig}`, "unsupported algorithm");
    refused(`${header}.${payload}`, "not a compact JWT");
    refused(`${header}.${payload}.${sig}.x`, "not a compact JWT");
    refused(`${header}.${payload}.${sig}`, "expired", 2000);
    refused(signJwt({ ...claims, sub: "" }, SECRET), "no subject");
  });
});

describe("the jwt-auth example", () => {
  let env: ExampleEnv;

  before(async () => {
    env = await ExampleEnv.start(jwtAuthExample(SECRET));
  });

  after(async () => {
    await env.stop();
    assert.deepEqual(env.serviceErrors, []);
  });

  /** A client logged in as `user` with a token from the page server's /token route. */
  async function login(user: string): Promise<ResClient> {
    const res = await fetch(env.pageUrl(`/token?user=${user}`));
    assert.equal(res.status, 200);
    const body: unknown = await res.json();
    assert.ok(typeof body === "object" && body !== null && "token" in body);
    const client = await env.client();
    await within(client.authenticate("session", "jwt", { token: body.token }), 3000, "login");
    return client;
  }

  test("without a token, or with the wrong role, secrets are denied", async () => {
    const anonymous = await env.client();
    assert.equal((await resError(anonymous.get("secret.plans"))).code, "system.accessDenied");

    const carol = await env.client();
    const token = issueToken(SECRET, { user: "carol", role: "reader" });
    assert.deepEqual(await carol.authenticate("session", "jwt", { token }), {
      user: "carol",
      role: "reader",
    });
    assert.equal((await resError(carol.get("secret.plans"))).code, "system.accessDenied");
    assert.equal((await fetch(env.pageUrl("/token?user=mallory"))).status, 404);
  });

  test("invalid tokens are refused", async () => {
    const client = await env.client();
    const jwt = (token: unknown): Promise<unknown> =>
      client.authenticate("session", "jwt", { token });
    const good = issueToken(SECRET, { user: "alice", role: "admin" });
    const cases: [unknown, string, string][] = [
      [good.slice(0, -2), "session.invalidToken", "Invalid token: bad signature"],
      [
        issueToken("other", { user: "alice", role: "admin" }),
        "session.invalidToken",
        "Invalid token: bad signature",
      ],
      [
        issueToken(SECRET, { user: "alice", role: "admin", seconds: -1 }),
        "session.invalidToken",
        "Invalid token: expired",
      ],
      ["not a jwt", "session.invalidToken", "Invalid token: not a compact JWT"],
      [42, "system.invalidParams", "token must be a string"],
    ];
    for (const [token, code, message] of cases) {
      const err = await resError(jwt(token));
      assert.deepEqual([err.code, err.message], [code, message]);
    }
    assert.equal((await resError(client.get("secret.plans"))).code, "system.accessDenied");
  });

  test("an admin reads and edits a secret; logging out unsubscribes it live", async () => {
    const alice = await login("alice");
    const plans = await getModel(alice, "secret.plans");
    assert.deepEqual(plans.toJSON(), { title: "Plans", text: "Ship the gateway on Friday." });
    assert.equal(await within(plans.call("set", { text: "Ship it Monday." }), 3000, "set"), null);
    assert.equal(plans.props["text"], "Ship it Monday.");

    // The gateway checks access again when the token changes, and unsubscribes.
    const unsubscribed = new EventLog(plans, "unsubscribe");
    assert.equal(await within(alice.authenticate("session", "logout"), 3000, "logout"), null);
    await unsubscribed.next();
    unsubscribed.stop();
    const denied = await resError(alice.call("secret.plans", "set", { text: "Logged out" }));
    assert.equal(denied.code, "system.accessDenied");
  });

  test("revoking a user unsubscribes their secrets live, on every connection", async () => {
    const alice = await login("alice");
    const bobPhone = await login("bob");
    const bobLaptop = await login("bob");
    const alicePlans = await getModel(alice, "secret.plans");
    const phonePlans = await getModel(bobPhone, "secret.plans");
    const laptopRecipe = await getModel(bobLaptop, "secret.recipe");
    const phoneText = phonePlans.props["text"];
    const aliceLost = new EventLog(alicePlans, "unsubscribe");
    const phoneLost = new EventLog(phonePlans, "unsubscribe");
    const laptopLost = new EventLog(laptopRecipe, "unsubscribe");

    // Only admins may revoke.
    const carol = await env.client();
    await carol.authenticate("session", "jwt", {
      token: issueToken(SECRET, { user: "carol", role: "reader" }),
    });
    const denied = await resError(carol.call("session", "revoke", { user: "bob" }));
    assert.equal(denied.code, "system.accessDenied");

    // system.tokenReset → auth.session.refresh for Bob's connections → token cleared.
    assert.deepEqual(await alice.call("session", "revoke", { user: "bob" }), { revoked: 2 });
    await phoneLost.next();
    await laptopLost.next();
    const refused = await resError(bobPhone.call("secret.plans", "set", { text: "Bob's" }));
    assert.equal(refused.code, "system.accessDenied");

    // Alice keeps her access, and her edits reach nobody else now.
    await within(alicePlans.set({ text: "Only Alice sees this." }), 3000, "set");
    assert.equal(aliceLost.pending, 0);

    // A fresh token from the identity provider lets Bob in again.
    const bobAgain = await login("bob");
    const plans = await getModel(bobAgain, "secret.plans");
    assert.equal(plans.props["text"], "Only Alice sees this.");
    // The copy Bob's phone had no longer changes.
    assert.equal(phonePlans.props["text"], phoneText);

    for (const log of [aliceLost, phoneLost, laptopLost]) log.stop();
  });
});
