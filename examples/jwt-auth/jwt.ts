/**
 * Compact JSON Web Tokens signed with HMAC-SHA256 (JWS "HS256", RFC 7515/7519), with
 * node:crypto only. Enough for the example: sign, and verify the signature, the
 * algorithm and the time claims.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The claims the example issues and checks. */
export interface Claims {
  /** The user. */
  readonly sub: string;
  /** "admin" may read and edit the secret documents. */
  readonly role: string;
  /** Token ID, unique per token: revoking a user revokes the IDs it logged in with. */
  readonly jti: string;
  /** Issued at, in seconds since the epoch. */
  readonly iat: number;
  /** Expires at, in seconds since the epoch. */
  readonly exp: number;
}

/** Why a token was refused. */
export class JwtError extends Error {
  override readonly name = "JwtError";
}

const HEADER = { alg: "HS256", typ: "JWT" };
const PART = /^[A-Za-z0-9_-]+$/;

function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

function decodePart(part: string, what: string): ReadonlyMap<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw new JwtError(`${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new JwtError(`${what} is not a JSON object`);
  }
  return new Map<string, unknown>(Object.entries(value));
}

function signature(signingInput: string, secret: Uint8Array | string): Buffer {
  return createHmac("sha256", secret).update(signingInput).digest();
}

/** Signs `claims` into a compact JWT. */
export function signJwt(claims: Claims, secret: Uint8Array | string): string {
  const input = `${encodePart(HEADER)}.${encodePart(claims)}`;
  return `${input}.${signature(input, secret).toString("base64url")}`;
}

/**
 * Verifies a compact JWT: the HS256 algorithm, the signature (in constant time), and
 * `exp`/`nbf` against `nowSeconds`. Returns its claims; throws a JwtError otherwise.
 */
export function verifyJwt(
  token: string,
  secret: Uint8Array | string,
  nowSeconds = Date.now() / 1000,
): Claims {
  const parts = token.split(".");
  const [header, payload, sig] = parts;
  if (parts.length !== 3 || header === undefined || payload === undefined || sig === undefined) {
    throw new JwtError("not a compact JWT");
  }
  if (!PART.test(header) || !PART.test(payload) || !PART.test(sig)) {
    throw new JwtError("not a compact JWT");
  }
  // The algorithm is fixed: a token may not choose it ("none", or another key type).
  if (decodePart(header, "header").get("alg") !== "HS256") {
    throw new JwtError("unsupported algorithm");
  }
  const expected = signature(`${header}.${payload}`, secret);
  const given = Buffer.from(sig, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new JwtError("bad signature");
  }

  const c = decodePart(payload, "payload");
  const sub = c.get("sub");
  const role = c.get("role");
  const jti = c.get("jti");
  const iat = c.get("iat");
  const exp = c.get("exp");
  const nbf = c.get("nbf");
  if (typeof sub !== "string" || sub === "") throw new JwtError("no subject");
  if (typeof role !== "string") throw new JwtError("no role");
  if (typeof jti !== "string" || jti === "") throw new JwtError("no token ID");
  if (typeof iat !== "number" || typeof exp !== "number") throw new JwtError("no iat or exp");
  if (exp <= nowSeconds) throw new JwtError("expired");
  if (nbf !== undefined && (typeof nbf !== "number" || nbf > nowSeconds)) {
    throw new JwtError("not valid yet");
  }
  return { sub, role, jti, iat, exp };
}
