/**
 * One client connection (Resgate's wsConn.go): its ID, token and protocol version,
 * its subscriptions, and the handling of every client request. Work runs one
 * callback at a time on the connection's queue, so requests, replies from services
 * and events are handled in the order they arrive.
 */
import {
  Errors,
  PROTOCOL_VERSION,
  ProtocolVersion,
  expandCid,
  internalError,
  isValidRid,
  parseProtocolVersion,
  splitRid,
  toResError,
  type ResError,
} from "@resgate-ts/protocol";
import type { Logger } from "pino";
import type { Access, Cache } from "../cache/cache.js";
import {
  decodeCallResponse,
  decodeTokenEvent,
  encodeRequest,
  ServiceError,
  isDirectResponseStatus,
  mergeMeta,
  metaOf,
  type CallResult,
  type Meta,
} from "../cache/service-codec.js";
import { Throttle } from "../cache/throttle.js";
import type { ResourceEvent } from "../cache/types.js";
import { MAX_REQUESTS_IN_FLIGHT, SUBSCRIPTION_COUNT_LIMIT } from "../constants.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import { SerialQueue } from "../util/serial-queue.js";
import { dispatch, type Reply, type RequestHandler } from "./dispatch.js";
import { collect } from "./gc.js";
import { OutgoingFrame } from "./outgoing-frame.js";
import { authFields, type RequestInfo } from "./request-info.js";
import { Subscription, canCall, canGet, type SubscriptionOwner } from "./subscription.js";
import { SubscriptionIndex } from "./subscription-index.js";

/** Where a connection's frames go: a WebSocket, or an HTTP request's stand-in. */
export interface ConnectionTransport {
  send(frame: string | OutgoingFrame): void;
  /** Stops or restarts reading client frames (request backpressure). */
  pause(): void;
  resume(): void;
  /**
   * Takes events instead of `send` (server-sent events): the resource, the event name
   * and the event's data as a WebSocket client would get it.
   */
  sendEvent?(rid: string, event: string, dataJson: string): void;
}

/** The outcome of a header auth request. */
export interface HeaderAuthResult {
  err: ResError | undefined;
  meta: Meta | undefined;
  /** A resource response's rid (used as a redirect's Location). */
  rid: string | undefined;
}

/** The outcome of an HTTP get (Resgate's GetHTTPSubscription). */
export interface HttpGetResult {
  /** The loaded subscription, with its references; undefined on error or direct status. */
  sub: Subscription | undefined;
  err: ResError | undefined;
  /** The access reply's meta object. */
  meta: Meta | undefined;
}

/** The outcome of an HTTP call (Resgate's CallHTTPResource). */
export interface HttpCallResult {
  /** The call's result as JSON text, when it answered with one. */
  resultJson: string | undefined;
  /** The resource the call answered with, when it did. */
  rid: string | undefined;
  err: ResError | undefined;
  /** The access reply's meta merged with the call reply's. */
  meta: Meta | undefined;
}

export interface ConnectionContext {
  cache: Cache;
  log: Logger;
  /** Counts client requests when metrics are on. */
  metrics?: GatewayMetrics | undefined;
  /** Most references one subscription may load at once; 0 for no bound. */
  referenceThrottle: number;
  /** Requests one connection may have in flight (default MAX_REQUESTS_IN_FLIGHT). */
  maxRequestsInFlight?: number;
}

/** Bits of Connection.flags (one field for four booleans: every connection has them). */
const ConnFlag = { isHttp: 1, disposing: 2, paused: 4, trace: 8 } as const;

export class Connection implements SubscriptionOwner, RequestHandler {
  /** The connection's token as JSON text; undefined until a token event sets one. */
  token: string | undefined;
  tid = "";
  protocolVersion: number = ProtocolVersion.legacy;
  readonly subs = new SubscriptionIndex();

  private readonly queue: SerialQueue<Connection>;
  private inFlight = 0;
  private flags = 0;
  /**
   * Frames read while MAX_REQUESTS_IN_FLIGHT requests were already being worked on;
   * undefined while there are none (as on most connections, most of the time).
   */
  private backlog: string[] | undefined;
  private readonly eventSink: ((rid: string, event: string, dataJson: string) => void) | undefined;

  /** Shared by every connection's queue (no closure per connection). */
  private static queueError(this: void, err: unknown, conn: Connection): void {
    conn.ctx.log.error({ err, cid: conn.cid }, "connection callback failed");
  }

  constructor(
    readonly cid: string,
    private readonly ctx: ConnectionContext,
    private readonly transport: ConnectionTransport,
    readonly request: RequestInfo,
  ) {
    this.queue = new SerialQueue<Connection>(Connection.queueError, this);
    this.eventSink = transport.sendEvent?.bind(transport);
    if (ctx.log.isLevelEnabled("trace")) this.flags |= ConnFlag.trace;
  }

  /** Set for connections serving HTTP requests: their access requests carry isHttp. */
  get isHttp(): boolean {
    return (this.flags & ConnFlag.isHttp) !== 0;
  }

  set isHttp(on: boolean) {
    this.setFlag(ConnFlag.isHttp, on);
  }

  get disposing(): boolean {
    return (this.flags & ConnFlag.disposing) !== 0;
  }

  set disposing(on: boolean) {
    this.setFlag(ConnFlag.disposing, on);
  }

  /** Reading client frames is paused (request backpressure). */
  private get paused(): boolean {
    return (this.flags & ConnFlag.paused) !== 0;
  }

  private set paused(on: boolean) {
    this.setFlag(ConnFlag.paused, on);
  }

  /** -V: every client message is logged. */
  private get trace(): boolean {
    return (this.flags & ConnFlag.trace) !== 0;
  }

  /** The client predates protocol 1.2.1: soft references and data values are encoded for it. */
  get legacyValues(): boolean {
    return this.protocolVersion < ProtocolVersion.softReferenceAndDataValue;
  }

  private setFlag(flag: number, on: boolean): void {
    this.flags = on ? this.flags | flag : this.flags & ~flag;
  }

  private get maxInFlight(): number {
    return this.ctx.maxRequestsInFlight ?? MAX_REQUESTS_IN_FLIGHT;
  }

  /** Registers for connection events (`conn.<cid>.*`) and token resets. */
  start(): void {
    this.ctx.cache.addConn(this);
  }

  /** An event on `conn.<cid>.<event>`. */
  connEvent(event: string, data: Uint8Array): void {
    this.enqueue(() => {
      if (event === "token") this.handleTokenEvent(data);
    });
  }

  /** Runs `fn` on the connection's queue; false when the connection is closing. */
  enqueue(fn: () => void): boolean {
    if (this.disposing) return false;
    this.queue.enqueue(fn);
    return true;
  }

  /** `enqueue(() => fn(a, b))`, without the closure when the queue is idle (fan-out). */
  enqueueWith<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void {
    if (!this.disposing) this.queue.enqueueWith(fn, a, b);
  }

  /**
   * Handles one text frame from the client. At most MAX_REQUESTS_IN_FLIGHT requests
   * are worked on at once; frames beyond that wait here (their number is bounded by
   * what was already read from the socket, which is paused meanwhile).
   */
  receive(text: string): void {
    if (this.inFlight >= this.maxInFlight || this.backlog) {
      (this.backlog ??= []).push(text);
      if (!this.paused) {
        this.paused = true;
        this.transport.pause();
      }
      return;
    }
    this.inFlight++;
    this.enqueue(() => this.handle(text));
  }

  /** Works on one frame; its in-flight slot was taken when it was scheduled. */
  private handle(text: string): void {
    if (this.trace) this.ctx.log.trace({ cid: this.cid, frame: text }, "-->");
    const isRequest = dispatch(text, this, (frame) => this.replyFrame(frame));
    if (!isRequest) this.requestDone();
  }

  private replyFrame(frame: string): void {
    if (this.trace) this.ctx.log.trace({ cid: this.cid, frame }, "<--");
    this.transport.send(frame);
    this.requestDone();
  }

  private requestDone(): void {
    this.inFlight--;
    const backlog = this.backlog;
    if (backlog) {
      while (this.inFlight < this.maxInFlight && backlog.length > 0) {
        const next = backlog.shift() as string;
        this.inFlight++;
        this.enqueue(() => this.handle(next));
      }
      if (backlog.length === 0 && this.backlog === backlog) this.backlog = undefined;
    }
    if (this.paused && !this.backlog && this.inFlight < this.maxInFlight) {
      this.paused = false;
      this.transport.resume();
    }
  }

  /**
   * The hot path of fan-out: sends the frame another subscriber already built for this
   * event, when it was built for the same rid (a query form) and the same encoding
   * (legacy clients see soft references differently). False when there is none.
   */
  sendSharedFrame(ev: ResourceEvent, rid: string): boolean {
    const frame = ev.frame;
    if (!frame || ev.frameRid !== rid || this.eventSink) return false;
    if (ev.frameLegacy !== this.legacyValues) return false;
    if (this.disposing) return true;
    if (this.trace) this.ctx.log.trace({ cid: this.cid, frame: frame.data.toString() }, "<--");
    this.transport.send(frame);
    return true;
  }

  /** Sends an event frame, reusing the frame already built for the same event and rid. */
  sendEvent(
    ev: ResourceEvent | undefined,
    rid: string,
    event: string,
    data: string | (() => string),
  ): void {
    if (this.disposing) return;
    if (this.eventSink) {
      const json = typeof data === "string" ? data : data();
      if (this.trace) this.ctx.log.trace({ cid: this.cid, rid, event, data: json }, "<-- event");
      this.eventSink(rid, event, json);
      return;
    }
    if (ev && this.sendSharedFrame(ev, rid)) return;
    const legacy = this.legacyValues;
    const json = typeof data === "string" ? data : data();
    const text = `{"event":${JSON.stringify(rid + "." + event)},"data":${json}}`;
    if (this.trace) this.ctx.log.trace({ cid: this.cid, frame: text }, "<--");
    const frame = new OutgoingFrame(text);
    if (ev) {
      ev.frameRid = rid;
      ev.frameLegacy = legacy;
      ev.frame = frame;
    }
    this.transport.send(frame);
  }

  logError(msg: string, extra?: object): void {
    this.ctx.log.error({ cid: this.cid, ...extra }, msg);
  }

  // ---- requests ------------------------------------------------------------------

  version(protocol: string, reply: Reply): void {
    if (protocol !== "") {
      const v = parseProtocolVersion(protocol);
      if (v === undefined) {
        reply.error(Errors.invalidParams());
        return;
      }
      if (v < 1_000_000 || v >= 2_000_000) {
        reply.error(Errors.unsupportedProtocol());
        return;
      }
      this.protocolVersion = v;
    }
    reply.result(JSON.stringify({ protocol: PROTOCOL_VERSION }));
  }

  get(rid: string, reply: Reply): void {
    this.ctx.metrics?.wsRequestsGet.inc();
    this.withResource(rid, reply, (sub) => {
      reply.result(sub.resources().toJSON());
      sub.releaseResources();
      this.releaseDirect(sub);
    });
  }

  subscribe(rid: string, reply: Reply): void {
    this.ctx.metrics?.wsRequestsSubscribe.inc();
    this.withResource(rid, reply, (sub) => {
      reply.result(sub.resources().toJSON());
      sub.releaseResources();
    });
  }

  /**
   * Takes a direct subscription for a request that answers with the resource, and
   * holds it (see Subscription.pending) until `done` is called; a failure to
   * subscribe is answered here.
   */
  private holdDirect(
    rid: string,
    reply: Reply,
  ): { sub: Subscription; done: () => void } | undefined {
    let sub: Subscription;
    try {
      sub = this.subscribeTo(rid, true, undefined);
    } catch (err) {
      reply.error(toResError(err));
      return undefined;
    }
    sub.pending++;
    return {
      sub,
      done: () => {
        sub.pending--;
        this.tryCollect(sub);
      },
    };
  }

  /**
   * Subscribes directly to `rid`, checks get access and waits until it and its
   * references have loaded, then calls `onReady`. Errors are answered here, and the
   * direct subscription taken for the request is released.
   */
  private withResource(rid: string, reply: Reply, onReady: (sub: Subscription) => void): void {
    const held = this.holdDirect(rid, reply);
    if (!held) return;
    const { sub, done } = held;
    sub.checkGet((err) => {
      if (err) {
        reply.error(err);
        this.releaseDirect(sub);
        done();
        return;
      }
      sub.onReady(() => {
        const loadErr = sub.error();
        if (loadErr) {
          reply.error(loadErr);
          this.releaseDirect(sub);
        } else {
          onReady(sub);
        }
        done();
      });
    });
  }

  unsubscribe(rid: string, count: number, reply: Reply): void {
    this.ctx.metrics?.wsRequestsUnsubscribe.inc();
    const sub = this.subs.get(rid);
    if (this.disposing || !sub || sub.direct < count) {
      reply.error(Errors.noSubscription());
      return;
    }
    this.removeCount(sub, { direct: true, sent: false, count, collect: true });
    reply.result(undefined);
  }

  call(rid: string, method: string, paramsJson: string, reply: Reply): void {
    this.ctx.metrics?.wsRequestsCall.inc();
    this.callService(rid, method, paramsJson, (err, result) => {
      this.callAuthReply(err, result, reply);
    });
  }

  newResource(rid: string, paramsJson: string, reply: Reply): void {
    this.ctx.metrics?.wsRequestsCall.inc();
    this.callService(rid, "new", paramsJson, (err, result) => {
      if (err) {
        reply.error(err);
        return;
      }
      if (result?.rid === undefined) {
        reply.error(toResError(new Error("non-resource response on new request")));
        return;
      }
      this.resourceReply(result.rid, reply);
    });
  }

  auth(rid: string, method: string, paramsJson: string, reply: Reply): void {
    this.ctx.metrics?.wsRequestsAuth.inc();
    const { name, query } = splitRid(expandCid(rid, this.cid));
    const payload = this.authRequestPayload({ params: paramsJson, query, isHttp: false });
    this.ctx.cache.send(name, `auth.${name}.${method}`, payload, (err, data) => {
      const decoded = decodeReply(err, data);
      this.enqueue(() => this.callAuthReply(decoded.err, decoded.result, reply));
    });
  }

  /**
   * Header authentication before a WebSocket upgrade (--wsheadauth): an auth request
   * carrying the upgrade request's headers, with `isHttp` set. Resolves with the
   * reply's meta object (which may refuse the upgrade) and resource reference.
   */
  headerAuth(rid: string, method: string): Promise<HeaderAuthResult> {
    const { name, query } = splitRid(expandCid(rid, this.cid));
    const payload = this.authRequestPayload({ params: undefined, query, isHttp: true });
    return new Promise((resolve) => {
      this.ctx.cache.send(name, `auth.${name}.${method}`, payload, (err, data) => {
        const decoded = decodeReply(err, data);
        resolve({
          err: decoded.err,
          meta: decoded.result?.meta ?? metaOf(decoded.err),
          rid: decoded.result?.rid,
        });
      });
    });
  }

  /**
   * An HTTP GET (Resgate's GetHTTPSubscription): subscribes to `rid` while a separate
   * access request, with `isHttp` set, returns the reply's meta object. A meta status
   * of 3xx–5xx answers at once. On success the subscription has loaded with every
   * reference; the caller encodes it, then disposes of the connection.
   */
  getHttp(rid: string, cb: (r: HttpGetResult) => void): void {
    let sub: Subscription;
    try {
      sub = this.subscribeTo(rid, true, undefined);
    } catch (err) {
      cb({ sub: undefined, err: toResError(err), meta: undefined });
      return;
    }
    this.ctx.cache.access(sub, { token: this.token, isHttp: true }, (access) => {
      this.enqueue(() => {
        const meta = access.meta;
        const err = isDirectResponseStatus(meta) ? access.error : canGet(access);
        if (err || isDirectResponseStatus(meta)) {
          cb({ sub: undefined, err, meta });
          this.releaseDirect(sub);
          return;
        }
        sub.onReady(() => {
          const loadErr = sub.error();
          cb({ sub: loadErr ? undefined : sub, err: loadErr, meta });
        });
      });
    });
  }

  /**
   * Starts sending a resource's events after an HTTP get (server-sent events): marks
   * the subscription and its references as sent, which lets queued events through.
   */
  streamHttp(sub: Subscription): void {
    sub.resources();
    sub.releaseResources();
  }

  /**
   * An HTTP call (Resgate's CallHTTPResource): a separate access request with `isHttp`
   * set, then the call, also with `isHttp`. The result carries both replies' meta.
   */
  callHttp(rid: string, method: string, paramsJson: string, cb: (r: HttpCallResult) => void): void {
    const sub = new Subscription(this, rid, undefined);
    this.ctx.cache.access(sub, { token: this.token, isHttp: true }, (access) => {
      this.enqueue(() => {
        const accessMeta = access.meta;
        const err = isDirectResponseStatus(accessMeta) ? access.error : canCall(access, method);
        if (err || isDirectResponseStatus(accessMeta)) {
          cb({ resultJson: undefined, rid: undefined, err, meta: accessMeta });
          return;
        }
        this.sendCall({ sub, method, paramsJson, isHttp: true }, (err, result) => {
          const meta = mergeMeta(accessMeta, result?.meta ?? metaOf(err));
          if (err || !result) {
            cb({ resultJson: undefined, rid: undefined, err: err ?? Errors.internalError(), meta });
          } else {
            cb({ resultJson: result.resultJson, rid: result.rid, err: undefined, meta });
          }
        });
      });
    });
  }

  /** The body of an auth request: the request fields plus the HTTP request's details. */
  authRequestPayload(f: { params: string | undefined; query: string; isHttp: boolean }): string {
    const base = encodeRequest({
      cid: this.cid,
      token: this.token,
      query: f.query,
      isHttp: f.isHttp,
      params: f.params,
    });
    return base.slice(0, -1) + authFields(this.request) + "}";
  }

  /** Checks call access, then sends `call.<name>.<method>`; `cb` runs on the connection's queue. */
  private callService(
    rid: string,
    method: string,
    paramsJson: string,
    cb: (err: ResError | undefined, result: CallResult | undefined) => void,
  ): void {
    const sub = this.subs.get(rid) ?? new Subscription(this, rid, undefined);
    sub.checkCall(method, (err) => {
      if (err) {
        cb(err, undefined);
        return;
      }
      this.sendCall({ sub, method, paramsJson, isHttp: false }, cb);
    });
  }

  /**
   * Sends `call.<name>.<method>`; `cb` runs on the connection's queue. A `new` call
   * answered the v1.1 way, with `{"result":{"rid":"…"}}`, is read as a resource
   * response, as Resgate reads it for any call to a method named new.
   */
  private sendCall(
    c: { sub: Subscription; method: string; paramsJson: string; isHttp: boolean },
    cb: (err: ResError | undefined, result: CallResult | undefined) => void,
  ): void {
    const payload = encodeRequest({
      cid: this.cid,
      token: this.token,
      query: c.sub.resourceQuery,
      isHttp: c.isHttp,
      params: c.paramsJson,
    });
    const name = c.sub.resourceName;
    this.ctx.cache.send(name, `call.${name}.${c.method}`, payload, (err, data) => {
      let decoded = decodeReply(err, data);
      if (c.method === "new") decoded = legacyNewResult(decoded);
      this.enqueue(() => cb(decoded.err, decoded.result));
    });
  }

  private callAuthReply(
    err: ResError | undefined,
    result: CallResult | undefined,
    reply: Reply,
  ): void {
    if (err || !result) {
      reply.error(err ?? Errors.internalError());
      return;
    }
    if (this.protocolVersion < ProtocolVersion.callResourceResponse) {
      // v1.1 clients get the resource ID as the result, without a subscription.
      reply.result(
        result.rid !== undefined ? JSON.stringify({ rid: result.rid }) : result.resultJson,
      );
      return;
    }
    if (result.rid === undefined) {
      reply.result(`{"payload":${result.resultJson}}`);
      return;
    }
    this.resourceReply(result.rid, reply);
  }

  /** Answers a call with a resource response: subscribes the client and sends the resource set. */
  private resourceReply(rid: string, reply: Reply): void {
    const held = this.holdDirect(rid, reply);
    if (!held) return;
    const { sub, done } = held;
    const ridField = `"rid":${JSON.stringify(sub.rid)}`;
    sub.checkGet((err) => {
      if (err) {
        // The call itself succeeded; the resource is reported as the access error.
        reply.result(
          `{${ridField},"errors":{${JSON.stringify(sub.rid)}:${JSON.stringify(err.toJSON())}}}`,
        );
        this.releaseDirect(sub);
        done();
        return;
      }
      sub.onReady(() => {
        reply.result(sub.resources().withFields(ridField));
        sub.releaseResources();
        done();
      });
    });
  }

  // ---- subscriptions -------------------------------------------------------------

  /** SubscriptionOwner: takes a direct or indirect (reference) subscription. */
  acquire(rid: string, direct: boolean, throttle: Throttle | undefined): Subscription {
    return this.subscribeTo(rid, direct, throttle);
  }

  private subscribeTo(rid: string, direct: boolean, throttle: Throttle | undefined): Subscription {
    if (this.disposing) throw Errors.disposing();
    const existing = this.subs.get(rid);
    if (existing) {
      this.addCount(existing, direct);
      return existing;
    }
    if (!throttle && this.ctx.referenceThrottle > 0) {
      throttle = new Throttle(this.ctx.referenceThrottle);
    }
    const sub = new Subscription(this, this.ctx.cache.sharedName(rid), throttle);
    this.addCount(sub, direct);
    this.subs.set(sub);
    this.ctx.cache.subscribe(sub, throttle);
    return sub;
  }

  private addCount(sub: Subscription, direct: boolean): void {
    if (!direct) {
      sub.indirect++;
      return;
    }
    if (sub.direct >= SUBSCRIPTION_COUNT_LIMIT) throw Errors.subscriptionLimitExceeded();
    sub.direct++;
  }

  /** Releases the direct subscription a failed request took (unless the client already did). */
  private releaseDirect(sub: Subscription): void {
    if (sub.direct > 0)
      this.removeCount(sub, { direct: true, sent: false, count: 1, collect: true });
  }

  /** SubscriptionOwner: releases a direct or indirect subscription. */
  release(
    sub: Subscription,
    change: { direct: boolean; sent: boolean; count: number; collect: boolean },
  ): void {
    if (this.disposing) return;
    this.removeCount(sub, change);
  }

  private removeCount(
    sub: Subscription,
    change: { direct: boolean; sent: boolean; count: number; collect: boolean },
  ): void {
    if (sub.direct + sub.indirect + sub.indirectSent === 0) return;
    if (change.direct) {
      sub.direct -= change.count;
    } else {
      sub.indirect -= change.count;
      if (change.sent) sub.indirectSent -= change.count;
    }
    if (change.collect) this.tryCollect(sub);
  }

  private tryCollect(sub: Subscription): void {
    if (this.disposing) return;
    for (const gone of collect(sub)) {
      if (this.subs.get(gone.rid) === gone) this.subs.delete(gone.rid);
    }
  }

  access(sub: Subscription, cb: (access: Access) => void): void {
    this.ctx.cache.access(sub, { token: this.token, isHttp: this.isHttp }, cb);
  }

  // ---- tokens --------------------------------------------------------------------

  private handleTokenEvent(data: Uint8Array): void {
    let ev: { token: string | undefined; tid: string };
    try {
      ev = decodeTokenEvent(data);
    } catch (err) {
      this.logError("malformed token event", { err: toResError(err).message });
      return;
    }
    this.setToken(ev.token, ev.tid);
  }

  /**
   * Sets the token. The first token on a connection that had none needs no access
   * check; every later one re-checks every subscription.
   */
  setToken(token: string | undefined, tid: string): void {
    this.tid = tid;
    const hadToken = this.token !== undefined;
    this.token = token;
    if (!hadToken) return;
    for (const sub of this.subs.values()) sub.reaccessNow(undefined);
  }

  /** `system.tokenReset`: when this connection's tid is listed, asks `subject` to re-authenticate it. */
  tokenReset(tids: ReadonlySet<string>, subject: string): void {
    this.enqueue(() => {
      if (this.tid === "" || !tids.has(this.tid)) return;
      const payload = this.authRequestPayload({ params: undefined, query: "", isHttp: false });
      this.ctx.cache.bus.request(subject, payload, (err) => {
        if (err?.code === "system.timeout") {
          this.logError(`token reset auth request timeout on subject: ${subject}`);
        }
      });
    });
  }

  // ---- teardown ------------------------------------------------------------------

  /** Releases everything the connection holds. Safe to call more than once. */
  dispose(): void {
    this.enqueue(() => {
      this.disposing = true;
      this.ctx.cache.removeConn(this);
      const subs = [...this.subs.values()];
      this.subs.clear();
      for (const sub of subs) sub.dispose();
    });
  }
}

/** Decodes a call or auth reply into its result, or the error that replaces it. */
function decodeReply(
  err: ResError | undefined,
  data: Uint8Array | undefined,
): { err: ResError | undefined; result: CallResult | undefined } {
  if (err) return { err, result: undefined };
  try {
    return { err: undefined, result: decodeCallResponse(data ?? new Uint8Array()) };
  } catch (e) {
    return { err: toResError(e), result: undefined };
  }
}

/**
 * Reads a v1.1 reply to a `new` call, `{"result":{"rid":"…"}}`, as a resource
 * response (Resgate's TryDecodeLegacyNewResult); other results are left as they are.
 */
function legacyNewResult(decoded: { err: ResError | undefined; result: CallResult | undefined }): {
  err: ResError | undefined;
  result: CallResult | undefined;
} {
  const r = decoded.result;
  if (decoded.err || !r || r.resultJson === undefined) return decoded;
  const v = JSON.parse(r.resultJson) as unknown;
  if (v === null || typeof v !== "object" || Array.isArray(v) || Object.keys(v).length !== 1) {
    return decoded;
  }
  const rid = (v as Record<string, unknown>)["rid"];
  if (typeof rid !== "string") return decoded;
  if (!isValidRid(rid, true)) {
    return {
      err: new ServiceError(internalError("invalid service response"), r.meta),
      result: undefined,
    };
  }
  return { err: undefined, result: { resultJson: undefined, rid, meta: r.meta } };
}
