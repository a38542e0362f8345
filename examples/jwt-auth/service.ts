/**
 * JWT authentication: clients log in with a signed token, access follows its claims,
 * and access is revoked live.
 *
 * The `session` service (authentication):
 *   auth session.jwt      { token }  verifies the JWT (HS256) and sets the connection
 *                                    token { user, role, jti, exp } from its claims
 *   auth session.logout              clears the connection token
 *   auth session.refresh             keeps a valid token, clears a revoked or expired
 *                                    one: the subject of system.tokenReset
 *   call session.revoke   { user }   (admins) revokes every token the user logged in
 *                                    with, and resets their connections' tokens
 *
 * The `secret` service (what the token gives access to):
 *   secret.<name>         model { title, text }, readable by the "admin" role only
 *   call secret.<name>.set { text }
 *
 * When a connection's token changes (logout, revoke), the gateway checks access again,
 * and the client gets an `unsubscribe` event for every secret it may no longer read.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { ErrorCode, Errors, ResError, Service, type ServiceOptions } from "@resgate-ts/service";
import { jsonResponse, type Example } from "../lib/example.js";
import { members, rawText, requiredText } from "../lib/params.js";
import { JwtError, signJwt, verifyJwt, type Claims } from "./jwt.js";

/** Gateways send system.tokenReset auth requests here: `auth.` + rid + method. */
export const REFRESH_SUBJECT = "auth.session.refresh";

/** What the gateway keeps as the connection token, and sends with every request. */
export interface SessionToken {
  readonly user: string;
  readonly role: string;
  /** The ID of the JWT the session was opened with. */
  readonly jti: string;
  /** When the JWT expires (seconds since the epoch). */
  readonly exp: number;
}

/** Reads a connection token (null: not logged in). */
export function parseSessionToken(token: unknown): SessionToken | null {
  if (token === null) return null;
  const m = members(token, "Token");
  const user = m.get("user");
  const role = m.get("role");
  const jti = m.get("jti");
  const exp = m.get("exp");
  if (
    typeof user !== "string" ||
    typeof role !== "string" ||
    typeof jti !== "string" ||
    typeof exp !== "number"
  ) {
    throw new Error("invalid session token");
  }
  return { user, role, jti, exp };
}

const nowSeconds = (): number => Date.now() / 1000;

/** An admin session whose JWT has not expired. */
function isAdmin(s: SessionToken | null): s is SessionToken {
  return s !== null && s.role === "admin" && s.exp > nowSeconds();
}

export function sessionService(secret: Uint8Array | string, options?: ServiceOptions): Service {
  const service = new Service("session", options);
  /** The IDs of the tokens each user opened a session with. */
  const tokenIds = new Map<string, Set<string>>();
  const revoked = new Set<string>();

  service.handle("", {
    // Clients need no access to log in (auth requests are not access checked);
    // admins may call `revoke`.
    access: (r) => r.access(false, isAdmin(r.parseToken(parseSessionToken)) ? "revoke" : []),
    auth: {
      jwt: (r) => {
        const jwt = r.parseParams((p) => requiredText(members(p), "token"));
        let claims: Claims;
        try {
          claims = verifyJwt(jwt, secret);
        } catch (err) {
          if (err instanceof JwtError) {
            throw new ResError("session.invalidToken", `Invalid token: ${err.message}`);
          }
          throw err;
        }
        if (revoked.has(claims.jti)) throw new ResError("session.tokenRevoked", "Token revoked");

        const ids = tokenIds.get(claims.sub) ?? new Set<string>();
        ids.add(claims.jti);
        tokenIds.set(claims.sub, ids);
        const token: SessionToken = {
          user: claims.sub,
          role: claims.role,
          jti: claims.jti,
          exp: claims.exp,
        };
        // The token ID (tid) is the user: system.tokenReset names users.
        r.tokenEvent(token, claims.sub);
        r.ok({ user: claims.sub, role: claims.role });
      },
      logout: (r) => {
        r.tokenEvent(null);
        r.ok();
      },
      refresh: (r) => {
        const s = r.parseToken(parseSessionToken);
        if (s !== null && (revoked.has(s.jti) || s.exp <= nowSeconds())) r.tokenEvent(null);
        r.ok();
      },
    },
    call: {
      revoke: (r) => {
        if (!isAdmin(r.parseToken(parseSessionToken))) throw Errors.accessDenied();
        const user = r.parseParams((p) => requiredText(members(p), "user"));
        const ids = tokenIds.get(user) ?? new Set<string>();
        for (const id of ids) revoked.add(id);
        tokenIds.delete(user);
        // Every gateway sends an auth request to REFRESH_SUBJECT for each connection
        // whose token ID is the user; `refresh` then clears the revoked tokens.
        service.tokenReset(REFRESH_SUBJECT, [user]);
        r.ok({ revoked: ids.size });
      },
    },
  });
  return service;
}

interface Secret {
  readonly title: string;
  text: string;
}

export function secretService(options?: ServiceOptions): Service {
  const service = new Service("secret", options);
  const secrets = new Map<string, Secret>([
    ["plans", { title: "Plans", text: "Ship the gateway on Friday." }],
    ["recipe", { title: "Recipe", text: "Two parts curiosity, one part patience." }],
  ]);

  service.handle("$name", {
    type: "model",
    access: (r) => {
      if (isAdmin(r.parseToken(parseSessionToken))) r.access(true, "set");
      else r.accessDenied();
    },
    get: (r) => {
      const s = secrets.get(r.pathParams.name);
      if (!s) return r.notFound();
      r.model({ title: s.title, text: s.text });
    },
    call: {
      set: (r) => {
        const s = secrets.get(r.pathParams.name);
        if (!s) return r.notFound();
        const text = r.parseParams((p) => rawText(members(p), "text"));
        if (text !== s.text) {
          s.text = text;
          r.changeEvent({ text });
        }
        r.ok();
      },
    },
  });
  return service;
}

/** The example's users; in real life an identity provider signs their tokens. */
export const DEMO_USERS: ReadonlyMap<string, string> = new Map([
  ["alice", "admin"],
  ["bob", "admin"],
  ["carol", "reader"],
]);

/** A token for `user` with `role`, valid for `seconds`. */
export function issueToken(
  secret: Uint8Array | string,
  claims: { readonly user: string; readonly role: string; readonly seconds?: number },
): string {
  const iat = Math.floor(nowSeconds());
  return signJwt(
    {
      sub: claims.user,
      role: claims.role,
      jti: randomUUID(),
      iat,
      exp: iat + (claims.seconds ?? 3600),
    },
    secret,
  );
}

/** The example, with a random signing secret unless one is given. */
export function jwtAuthExample(secret: Uint8Array | string = randomBytes(32)): Example {
  return {
    name: "jwt-auth",
    title: "log in with a signed JWT; access follows its claims and is revoked live",
    services: (options) => [sessionService(secret, options), secretService(options)],
    routes: {
      // GET /token?user=alice: a token for a demo user (the page's "identity provider").
      "/token": (url) => {
        const user = url.searchParams.get("user") ?? "";
        const role = DEMO_USERS.get(user);
        if (role === undefined) {
          return jsonResponse(
            { error: { code: ErrorCode.notFound, message: "No such user" } },
            404,
          );
        }
        return jsonResponse({ token: issueToken(secret, { user, role }) });
      },
    },
  };
}
