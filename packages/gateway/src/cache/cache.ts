/**
 * The resource cache shared by every connection of the gateway (Resgate's rescache).
 * One EventSubscription per resource name; requests to services go through here so
 * that their replies are ordered with the resource's events.
 */
import { ResourcePattern, toResError, type ResError } from "@resgate-ts/protocol";
import type { Logger } from "pino";
import type { BusSubscription, MessageBus } from "../bus/bus.js";
import { CACHE_BUDGET_BYTES } from "../constants.js";
import { FifoTimer } from "../util/fifo-timer.js";
import { EventSubscription } from "./event-subscription.js";
import {
  decodeAccessResponse,
  decodeSystemReset,
  decodeSystemTokenReset,
  encodeRequest,
  metaOf,
  type AccessResult,
  type Meta,
  type RequestFields,
} from "./service-codec.js";
import { Throttle } from "./throttle.js";
import type { Subscriber, TokenResetTarget } from "./types.js";

export interface CacheOptions {
  bus: MessageBus;
  log: Logger;
  /** Called when an event has been handed to every subscriber, with its arrival time (performance.now()). */
  onFanout?: ((startMs: number) => void) | undefined;
  /** Delay before an unused resource is evicted. */
  unsubscribeDelayMs: number;
  /** Most gets and access requests one system.reset may have out at once; 0 for no bound. */
  resetThrottle: number;
  /** Bytes of cached values above which unused resources are evicted at once. */
  budgetBytes?: number;
}

/**
 * The outcome of an access request: the result, or the error that replaced it, and
 * the reply's meta object (which only HTTP requests act on).
 */
export interface Access {
  readonly result: Readonly<AccessResult> | undefined;
  readonly error: ResError | undefined;
  readonly meta: Meta | undefined;
}

/** Distinct access results shared at most (services may grant any list of methods). */
const SHARED_ACCESS_LIMIT = 256;

export class Cache {
  readonly bus: MessageBus;
  readonly log: Logger;
  readonly evictions: FifoTimer;
  readonly onFanout: ((startMs: number) => void) | undefined;
  private readonly entries = new Map<string, EventSubscription>();
  private readonly conns = new Map<string, TokenResetTarget>();
  private readonly resetThrottle: number;
  private readonly budgetBytes: number;
  private bytes = 0;
  /** Bytes of cached values let go of so far: garbage for the idle collector (util/idle-gc). */
  releasedBytes = 0;
  /**
   * Granted access without a meta object, one object per distinct result: every
   * subscription keeps its access, and most are alike.
   */
  private readonly sharedAccess = new Map<string, Access>();
  private systemSub: BusSubscription | undefined;
  private connSub: BusSubscription | undefined;

  constructor(opts: CacheOptions) {
    this.bus = opts.bus;
    this.log = opts.log;
    this.resetThrottle = opts.resetThrottle;
    this.budgetBytes = opts.budgetBytes ?? CACHE_BUDGET_BYTES;
    this.onFanout = opts.onFanout;
    this.evictions = new FifoTimer(opts.unsubscribeDelayMs);
  }

  start(): void {
    this.systemSub = this.bus.subscribe("system.*", (subject, data) => {
      const ev = subject.slice("system.".length);
      if (ev === "reset") this.handleSystemReset(data);
      else if (ev === "tokenReset") this.handleSystemTokenReset(data);
    });
    // One subscription for every connection's events rather than one per connection
    // (Resgate's way): a NATS subscription per connection costs memory on both sides.
    this.connSub = this.bus.subscribe("conn.*.*", (subject, data) => {
      const dot = subject.indexOf(".", 5);
      this.conns.get(subject.slice(5, dot))?.connEvent(subject.slice(dot + 1), data);
    });
  }

  stop(): void {
    this.systemSub?.unsubscribe();
    this.connSub?.unsubscribe();
    this.evictions.clear();
  }

  /**
   * The cache's own string for a resource name when it has one, else `name`: so that
   * the subscriptions of many connections share one string rather than each keeping
   * its own copy (or a slice of the request frame it was read from).
   */
  sharedName(name: string): string {
    return this.entries.get(name)?.name ?? name;
  }

  /** Whether a resource name is cached (for tests). */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Number of resource names cached, for metrics and tests. */
  get size(): number {
    return this.entries.size;
  }

  /** Uses of cached resource names by subscriptions and requests in flight (Resgate's cache subscriptions metric). */
  subscriptionCount(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.count;
    return n;
  }

  /** Subscribes to a resource, loading it when it is not cached. */
  subscribe(sub: Subscriber, throttle: Throttle | undefined): void {
    let e: EventSubscription;
    try {
      e = this.entry(sub.resourceName, true);
    } catch (err) {
      sub.loaded(undefined, toResError(err));
      return;
    }
    e.addSubscriber(sub, throttle);
  }

  /** Sends an access request; `callback` runs on the resource's queue. */
  access(
    sub: { cid: string; resourceName: string; resourceQuery: string },
    fields: Pick<RequestFields, "token" | "isHttp">,
    callback: (access: Access) => void,
  ): void {
    const payload = encodeRequest({
      cid: sub.cid,
      token: fields.token,
      query: sub.resourceQuery,
      isHttp: fields.isHttp,
    });
    this.send(sub.resourceName, "access." + sub.resourceName, payload, (err, data) => {
      if (err) {
        callback({ result: undefined, error: err, meta: undefined });
        return;
      }
      let access: Access;
      try {
        const { access: result, meta } = decodeAccessResponse(data ?? new Uint8Array());
        access = meta ? { result, error: undefined, meta } : this.shareAccess(result);
      } catch (e) {
        access = { result: undefined, error: toResError(e), meta: metaOf(e) };
      }
      callback(access);
    });
  }

  private shareAccess(result: AccessResult): Access {
    const key = (result.get ? "1" : "0") + result.call;
    let access = this.sharedAccess.get(key);
    if (!access) {
      access = { result, error: undefined, meta: undefined };
      if (this.sharedAccess.size < SHARED_ACCESS_LIMIT) this.sharedAccess.set(key, access);
    }
    return access;
  }

  /**
   * Sends a request about a resource (access, call, auth); the reply is handled on
   * the resource's queue, after any event that arrived before it.
   */
  send(
    name: string,
    subject: string,
    payload: string,
    callback: (err: ResError | undefined, data: Uint8Array | undefined) => void,
  ): void {
    const e = this.entry(name, false);
    this.bus.request(subject, payload, (err, data) => {
      e.enqueue(() => {
        try {
          callback(err, data);
        } finally {
          e.removeCount(1);
        }
      });
    });
  }

  /** Registers a connection for system.tokenReset. */
  addConn(conn: TokenResetTarget): void {
    this.conns.set(conn.cid, conn);
  }

  removeConn(conn: TokenResetTarget): void {
    this.conns.delete(conn.cid);
  }

  /**
   * The entry for a resource name with one more use counted, created when missing.
   * With `listen`, the entry also subscribes to the resource's events.
   */
  private entry(name: string, listen: boolean): EventSubscription {
    let e = this.entries.get(name);
    if (!e) {
      e = new EventSubscription(name, this);
      this.entries.set(name, e);
    } else {
      e.addCount();
    }
    if (listen && !e.busSub) {
      const entry = e;
      const prefixLength = "event.".length + name.length + 1;
      try {
        e.busSub = this.bus.subscribe(`event.${name}.*`, (subject, data) =>
          entry.onEvent(subject.slice(prefixLength), data),
        );
      } catch (err) {
        e.removeCount(1);
        throw err;
      }
    }
    return e;
  }

  /** Adjusts the count of bytes the cached values hold. */
  trackBytes(delta: number): void {
    this.bytes += delta;
    if (delta < 0) this.releasedBytes -= delta;
  }

  /**
   * An unused entry leaves the cache after the unsubscribe delay, or at once while the
   * cache holds more than its memory budget (a storm of large resources must not keep
   * memory that nobody uses).
   */
  scheduleEviction(e: EventSubscription): void {
    if (this.bytes > this.budgetBytes) {
      this.evict(e);
      return;
    }
    e.eviction = this.evictions.add(() => {
      e.eviction = undefined;
      this.evict(e);
    });
  }

  private evict(e: EventSubscription): void {
    if (e.count > 0 || this.entries.get(e.name) !== e) return;
    e.busSub?.unsubscribe();
    e.busSub = undefined;
    this.entries.delete(e.name);
    for (const rs of e.resources()) rs.release();
    e.evicted = true;
    this.log.trace({ rid: e.name }, "evicted from cache");
  }

  private newResetThrottle(): Throttle | undefined {
    return this.resetThrottle > 0 ? new Throttle(this.resetThrottle) : undefined;
  }

  private handleSystemReset(data: Uint8Array): void {
    let reset: { resources: string[]; access: string[] };
    try {
      reset = decodeSystemReset(data);
    } catch (err) {
      this.log.error({ err: toResError(err).message }, "error decoding system reset");
      return;
    }
    const throttle = this.newResetThrottle();
    this.forEachMatch(reset.resources, (e) => e.resetResources(throttle));
    this.forEachMatch(reset.access, (e) => e.resetAccess(throttle));
  }

  /**
   * Treats every cached resource as possibly stale (after a NATS reconnect, events
   * may have been lost): gets each again and re-checks access, under the reset
   * throttle, so that clients receive only the difference.
   */
  resynchronize(): void {
    const throttle = this.newResetThrottle();
    this.log.info({ resources: this.entries.size }, "resynchronizing cached resources");
    for (const e of this.entries.values()) {
      e.resetResources(throttle);
      e.resetAccess(throttle, true);
    }
  }

  private forEachMatch(patterns: string[], fn: (e: EventSubscription) => void): void {
    const valid = patterns
      .map((p) => ResourcePattern.parse(p))
      .filter((p): p is ResourcePattern => p !== undefined);
    if (valid.length === 0) return;
    for (const [name, e] of this.entries) {
      if (valid.some((p) => p.matches(name))) fn(e);
    }
  }

  private handleSystemTokenReset(data: Uint8Array): void {
    let reset: { tids: string[]; subject: string };
    try {
      reset = decodeSystemTokenReset(data);
    } catch (err) {
      this.log.error({ err: toResError(err).message }, "error decoding system token reset");
      return;
    }
    if (reset.subject === "") {
      this.log.error("missing subject in system token reset");
      return;
    }
    if (reset.tids.length === 0) return;
    const tids = new Set(reset.tids);
    for (const conn of this.conns.values()) conn.tokenReset(tids, reset.subject);
  }
}
