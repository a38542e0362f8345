/**
 * Request objects handed to handlers. Each wraps one request from a gateway (or
 * another service) and has the methods that answer it; only the first answer is sent.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md#requests
 */
import { ErrorCode, Errors, ResError, isValidRid } from "@resgate-ts/protocol";
import type { AnyParams } from "./pattern.js";
import { isValidPart } from "./pattern.js";
import { Resource, type ResourceInit, type ResourceValue } from "./resource.js";
import { checkCollection, checkModel, type Collection, type ModelOf } from "./values.js";

/** The request types of the RES service protocol. */
export type RequestType = "access" | "get" | "call" | "auth";

/** Sends the reply (and pre-responses) of one request. */
export interface Responder {
  /** The request subject, for error reports. */
  readonly subject: string;
  respond(payload: string): void;
}

/** The fields of a request payload, as the gateway sends them. */
export interface RequestPayload {
  cid?: string;
  token?: unknown;
  params?: unknown;
  query?: string;
  header?: Readonly<Record<string, readonly string[]>>;
  host?: string;
  remoteAddr?: string;
  uri?: string;
  isHttp?: boolean;
}

/** Reads a request payload leniently: fields of the wrong type are left out. */
export function parsePayload(v: unknown): RequestPayload {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return {};
  const o = v as Record<string, unknown>;
  const p: RequestPayload = {};
  const str = (k: string): string | undefined => {
    const x = o[k];
    return typeof x === "string" ? x : undefined;
  };
  const cid = str("cid");
  if (cid !== undefined) p.cid = cid;
  if (o["token"] !== undefined) p.token = o["token"];
  if (o["params"] !== undefined) p.params = o["params"];
  const query = str("query");
  if (query !== undefined) p.query = query;
  const header = o["header"];
  if (header !== null && typeof header === "object" && !Array.isArray(header)) {
    const h: Record<string, readonly string[]> = {};
    for (const [k, vals] of Object.entries(header)) {
      if (Array.isArray(vals)) h[k] = vals.filter((s): s is string => typeof s === "string");
    }
    p.header = h;
  }
  const host = str("host");
  if (host !== undefined) p.host = host;
  const remoteAddr = str("remoteAddr");
  if (remoteAddr !== undefined) p.remoteAddr = remoteAddr;
  const uri = str("uri");
  if (uri !== undefined) p.uri = uri;
  if (o["isHttp"] === true) p.isHttp = true;
  return p;
}

/** @internal Everything a request is made from. */
export interface RequestInit<P extends object> extends ResourceInit<P> {
  /** Undefined for get requests made by `Resource.value()`. */
  readonly responder: Responder | undefined;
  readonly payload: RequestPayload;
  readonly method?: string;
}

/** The meta object of a response (HTTP status and headers for HTTP-originated requests). */
interface Meta {
  status?: number;
  header?: Record<string, string[]>;
}

/** Turns anything a handler passes to `error()` or throws into the error to send. */
function errorToSend(err: unknown): ResError {
  return err instanceof ResError ? err : Errors.internalError();
}

/** The part shared by every request: answering with an error, and pre-responses. */
export abstract class Request<P extends object = AnyParams> extends Resource<P> {
  /** The request type: access, get, call or auth. */
  abstract readonly type: RequestType;
  /** @internal */
  protected readonly responder: Responder | undefined;
  /** @internal */
  protected readonly payload: RequestPayload;
  #replied = false;

  constructor(init: RequestInit<P>) {
    super(init);
    this.responder = init.responder;
    this.payload = init.payload;
  }

  /** True once the request has been answered. */
  get replied(): boolean {
    return this.#replied;
  }

  /**
   * Answers with an error. A ResError is sent as it is; any other error is sent as
   * system.internalError (its message is reported to the service's logger, not sent).
   */
  error(err: ResError | Error): void {
    if (!(err instanceof ResError)) this.core.reportError(`error in ${this.subject}`, err);
    this.sendError(errorToSend(err));
  }

  /** Answers with system.notFound. */
  notFound(): void {
    this.sendError(Errors.notFound());
  }

  /** Answers with system.invalidQuery, with an optional message instead of "Invalid query". */
  invalidQuery(message?: string, data?: unknown): void {
    this.sendError(new ResError(ErrorCode.invalidQuery, message ?? "Invalid query", data));
  }

  /**
   * Sends a pre-response asking the requester to wait `ms` milliseconds (from now) for
   * the response, for requests that take longer than the requester's default timeout.
   */
  timeout(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error("res: invalid timeout duration");
    if (this.#replied) {
      this.core.reportError(`timeout after the response was sent on ${this.subject}`);
      return;
    }
    this.responder?.respond(`timeout:"${Math.floor(ms)}"`);
  }

  /** @internal The request subject, for error reports. */
  protected get subject(): string {
    return this.responder?.subject ?? `${this.type}.${this.resourceName}`;
  }

  /** @internal The meta object to include, if any. */
  protected meta(): Meta | undefined {
    return undefined;
  }

  /** @internal Sends a successful result. */
  protected sendResult(result: unknown): void {
    const meta = this.meta();
    this.send(() => JSON.stringify(meta ? { result, meta } : { result }));
  }

  /** @internal Sends an error. */
  protected sendError(err: ResError): void {
    const meta = this.meta();
    this.send(() => JSON.stringify(meta ? { error: err, meta } : { error: err }));
  }

  /**
   * @internal Sends a reply: encodes it first (a value that cannot be encoded throws
   * and leaves the request unanswered), and reports a second answer without sending it.
   */
  protected send(encode: () => string): void {
    if (this.#replied) {
      this.core.reportError(`response already sent on ${this.subject}`);
      return;
    }
    const payload = encode();
    this.#replied = true;
    this.responder?.respond(payload);
  }

  /** @internal Marks the request answered (for requests answered without a responder). */
  protected markReplied(): boolean {
    if (this.#replied) {
      this.core.reportError(`response already sent on ${this.subject}`);
      return false;
    }
    this.#replied = true;
    return true;
  }
}

/** @internal Where a get request made by `Resource.value()` stores its answer. */
export interface ValueCapture {
  value?: ResourceValue;
  error?: ResError;
}

/**
 * A get request: answer with the resource's model or collection, and for query
 * resources with the normalized query.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md#get-request
 */
export class GetRequest<P extends object = AnyParams> extends Request<P> {
  readonly type = "get";
  readonly #capture: ValueCapture | undefined;

  constructor(init: RequestInit<P>, capture?: ValueCapture) {
    super(init);
    this.#capture = capture;
  }

  /** True when the request comes from `Resource.value()` rather than from a gateway. */
  get forValue(): boolean {
    return this.#capture !== undefined;
  }

  /**
   * Answers with a model. For a query resource, pass the normalized query (different
   * queries giving the same result should give the same normalized query).
   */
  model<T extends ModelOf<T>>(model: T, query?: string): void {
    if (this.handler?.type === "collection")
      throw new Error(`res: model response on collection ${this.resourceName}`);
    const m = checkModel(model, "model");
    this.answer({ model: m as ModelOf<T> }, query);
  }

  /** Answers with a collection (and the normalized query, for query resources). */
  collection(collection: Collection, query?: string): void {
    if (this.handler?.type === "model")
      throw new Error(`res: collection response on model ${this.resourceName}`);
    checkCollection(collection, "collection");
    this.answer({ collection }, query);
  }

  override error(err: ResError | Error): void {
    if (this.#capture) {
      if (this.markReplied()) this.#capture.error = errorToSend(err);
      return;
    }
    super.error(err);
  }

  override notFound(): void {
    if (this.#capture) this.error(Errors.notFound());
    else super.notFound();
  }

  override invalidQuery(message?: string, data?: unknown): void {
    if (this.#capture)
      this.error(new ResError(ErrorCode.invalidQuery, message ?? "Invalid query", data));
    else super.invalidQuery(message, data);
  }

  private answer(value: ResourceValue, query: string | undefined): void {
    if (this.#capture) {
      if (this.markReplied()) this.#capture.value = value;
      return;
    }
    this.sendResult(query ? { ...value, query } : value);
  }
}

/** Requests made on behalf of a client connection: access, call and auth. */
export abstract class ClientRequest<P extends object = AnyParams> extends Request<P> {
  #status: number | undefined;
  #header: Record<string, string[]> | undefined;

  /** The connection ID of the client ("" when the requester sent none). */
  get cid(): string {
    return this.payload.cid ?? "";
  }

  /** The connection's access token, or null when it has none. */
  get token(): unknown {
    return this.payload.token ?? null;
  }

  /**
   * True when the request comes from an HTTP request or a WebSocket upgrade not yet
   * answered: only then may the response set an HTTP status and headers.
   */
  get isHttp(): boolean {
    return this.payload.isHttp === true;
  }

  /**
   * Parses the token with `parse` (which may validate it and throw). A failure is
   * answered as system.internalError (the token was issued by a service), unless
   * `parse` throws a ResError.
   */
  parseToken<T>(parse: (token: unknown) => T): T {
    try {
      return parse(this.token);
    } catch (err) {
      if (err instanceof ResError) throw err;
      throw new ResError(ErrorCode.internalError, "Internal error: invalid token", undefined, {
        cause: err,
      });
    }
  }

  /** Sets the HTTP status of the client's response (only when `isHttp`). */
  setResponseStatus(status: number): void {
    this.assertHttp();
    if (!Number.isInteger(status) || status < 100 || status > 599)
      throw new Error(`res: invalid HTTP status ${status}`);
    this.#status = status;
  }

  /**
   * Sets an HTTP header of the client's response (only when `isHttp`). `Set-Cookie`
   * values are added to any existing ones; other headers replace them.
   */
  setResponseHeader(name: string, values: string | readonly string[]): void {
    this.assertHttp();
    this.#header ??= {};
    this.#header[name] = typeof values === "string" ? [values] : [...values];
  }

  private assertHttp(): void {
    if (!this.isHttp) throw new Error("res: response meta requires an HTTP request (isHttp)");
    if (this.replied) throw new Error("res: response meta set after the response was sent");
  }

  protected override meta(): Meta | undefined {
    if (this.#status === undefined && this.#header === undefined) return undefined;
    const m: Meta = {};
    if (this.#status !== undefined) m.status = this.#status;
    if (this.#header !== undefined) m.header = this.#header;
    return m;
  }
}

/**
 * An access request: tell what a client may do with the resource.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md#access-request
 */
export class AccessRequest<P extends object = AnyParams> extends ClientRequest<P> {
  readonly type = "access";

  /**
   * Answers with the access given: `get` to read the resource, `call` the methods that
   * may be called (a list, a comma-separated string, or `"*"` for all). No access at
   * all is answered as system.accessDenied.
   */
  access(get: boolean, call?: string | readonly string[]): void {
    const methods = typeof call === "string" ? call : (call ?? []).join(",");
    if (!get && methods === "") {
      this.accessDenied();
      return;
    }
    const result: { get?: boolean; call?: string } = {};
    if (get) result.get = true;
    if (methods !== "") result.call = methods;
    this.sendResult(result);
  }

  /** Grants full access: get, and call of any method. */
  accessGranted(): void {
    this.sendResult({ get: true, call: "*" });
  }

  /** Denies all access (system.accessDenied). */
  accessDenied(): void {
    this.sendError(Errors.accessDenied());
  }
}

/** Call, auth and new requests: a method called with parameters. */
export abstract class MethodRequest<P extends object = AnyParams> extends ClientRequest<P> {
  /** The method called. */
  readonly method: string;

  constructor(init: RequestInit<P>) {
    super(init);
    this.method = init.method ?? "";
  }

  /** The method parameters as sent (undefined when none were sent). */
  get params(): unknown {
    return this.payload.params;
  }

  /**
   * Parses the parameters with `parse` (which should validate them and throw when
   * they are wrong). A failure is answered as system.invalidParams with the error's
   * message, unless `parse` throws a ResError.
   */
  parseParams<T>(parse: (params: unknown) => T): T {
    try {
      return parse(this.params);
    } catch (err) {
      if (err instanceof ResError) throw err;
      const message = err instanceof Error && err.message !== "" ? err.message : undefined;
      throw new ResError(ErrorCode.invalidParams, message ?? "Invalid parameters", undefined, {
        cause: err,
      });
    }
  }

  /** Answers with a successful result (null when none is given). */
  ok(result?: unknown): void {
    this.sendResult(result ?? null);
  }

  /** Answers with a resource response: a reference to the resource `rid` (may have a query). */
  resource(rid: string): void {
    if (!isValidRid(rid, true)) throw new Error(`res: invalid resource ID "${rid}"`);
    const meta = this.meta();
    const resource = { rid };
    this.send(() => JSON.stringify(meta ? { resource, meta } : { resource }));
  }

  /** Answers with system.methodNotFound. */
  methodNotFound(): void {
    this.sendError(Errors.methodNotFound());
  }

  /** Answers with system.invalidParams, with an optional message instead of "Invalid parameters". */
  invalidParams(message?: string, data?: unknown): void {
    this.sendError(new ResError(ErrorCode.invalidParams, message ?? "Invalid parameters", data));
  }
}

/**
 * A call request: a client calls a method on the resource.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md#call-request
 */
export class CallRequest<P extends object = AnyParams> extends MethodRequest<P> {
  readonly type = "call";
}

/**
 * An auth request: a client calls an authentication method. It may set the
 * connection's token with {@link AuthRequest.tokenEvent} before answering.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md#auth-request
 */
export class AuthRequest<P extends object = AnyParams> extends MethodRequest<P> {
  readonly type = "auth";

  /** The HTTP headers of the client's connection request (canonical keys). */
  get header(): Readonly<Record<string, readonly string[]>> {
    return this.payload.header ?? {};
  }

  /** The host the client connected to ("" when not sent). */
  get host(): string {
    return this.payload.host ?? "";
  }

  /** The client's network address ("" when not sent). */
  get remoteAddr(): string {
    return this.payload.remoteAddr ?? "";
  }

  /** The request URI the client connected with ("" when not sent). */
  get uri(): string {
    return this.payload.uri ?? "";
  }

  /**
   * Sets the requesting connection's access token (`conn.<cid>.token`); null clears
   * it. `tid` identifies the token for `service.tokenReset`. Send it before answering.
   */
  tokenEvent(token: unknown, tid?: string): void {
    if (!isValidPart(this.cid)) throw new Error("res: token event without a connection ID");
    if (this.replied)
      this.core.reportError(`token event sent after the response on ${this.subject}`);
    this.core.publish(`conn.${this.cid}.token`, encodeTokenEvent(token, tid));
  }
}

/**
 * A new request (`call.<rid>.new`), answered with a reference to the created resource.
 * @deprecated Deprecated in RES protocol 1.2: use a call handler and `r.resource(rid)`.
 */
export class NewRequest<P extends object = AnyParams> extends MethodRequest<P> {
  readonly type = "call";

  /** Answers with a reference to the new resource. */
  newResource(rid: string): void {
    if (!isValidRid(rid, false)) throw new Error(`res: invalid resource ID "${rid}"`);
    this.sendResult({ rid });
  }
}

/** The payload of a connection token event. */
export function encodeTokenEvent(token: unknown, tid: string | undefined): string {
  return JSON.stringify(
    tid === undefined ? { token: token ?? null } : { token: token ?? null, tid },
  );
}
