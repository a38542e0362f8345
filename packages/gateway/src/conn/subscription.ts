/**
 * A connection's subscription to one resource (Resgate's server/subscription.go):
 * its state, direct and indirect counts, references to other subscriptions, the
 * access it was granted, and the events queued while it is loading. All methods run
 * on the owning connection's queue.
 */
import {
  Errors,
  ErrorCode,
  ResError,
  ValueType,
  expandCid,
  legacyValueJson,
  toResError,
  type Value,
} from "@resgate-ts/protocol";
import { isTransportError } from "../bus/bus.js";
import type { Access } from "../cache/cache.js";
import { Collection, Model, encodeValueMap } from "../cache/resource-data.js";
import type { CachedResource } from "../cache/resource.js";
import type { Throttle } from "../cache/throttle.js";
import type { ResourceEvent, Subscriber } from "../cache/types.js";
import { SUBSCRIPTION_COUNT_LIMIT } from "../constants.js";
import { ResourceSet } from "./resource-set.js";

/** What a subscription needs from its connection. */
export interface SubscriptionOwner {
  readonly cid: string;
  /** The client predates protocol 1.2.1 (soft references and data values differ). */
  readonly legacyValues: boolean;
  enqueue(fn: () => void): boolean;
  enqueueWith<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void;
  acquire(rid: string, direct: boolean, throttle: Throttle | undefined): Subscription;
  release(
    sub: Subscription,
    change: { direct: boolean; sent: boolean; count: number; collect: boolean },
  ): void;
  access(sub: Subscription, cb: (access: Access) => void): void;
  /** Sends an event; `data` is the data's JSON, or builds it (only when not shared yet). */
  sendEvent(
    ev: ResourceEvent | undefined,
    rid: string,
    event: string,
    data: string | (() => string),
  ): void;
  /** Sends the frame already built for this event and rid; false when there is none. */
  sendSharedFrame(ev: ResourceEvent, rid: string): boolean;
  logError(msg: string, extra?: object): void;
}

export const SubState = {
  disposed: 0,
  loading: 1,
  loaded: 2,
  ready: 3,
  toSend: 4,
  sent: 5,
  deleted: 6,
} as const;
export type SubState = (typeof SubState)[keyof typeof SubState];

/** Bits of Subscription.bits: the state in the lowest three, then these. */
const STATE_MASK = 7;
/** Reasons events are held: while any is set, events wait in the queue. */
const QueueReason = { loading: 8, reaccess: 16 } as const;
const QUEUE_MASK = QueueReason.loading | QueueReason.reaccess;
const Flag = { accessCalled: 32, reaccess: 64 } as const;
/** The direct count takes the bits above these (it is at most SUBSCRIPTION_COUNT_LIMIT). */
const DIRECT_SHIFT = 7;
const LOW_MASK = (1 << DIRECT_SHIFT) - 1;
// The whole number stays a small integer (31 bits): no heap number per subscription.
if (SUBSCRIPTION_COUNT_LIMIT >= 2 ** (30 - DIRECT_SHIFT)) {
  throw new Error("SUBSCRIPTION_COUNT_LIMIT does not fit in Subscription.bits");
}

interface Reference {
  readonly sub: Subscription;
  count: number;
}

interface ReadyCallback {
  readonly refs: Set<string>;
  readonly cb: () => void;
  loading: number;
}

/**
 * What a subscription holds only for a while: while it loads, holds events or waits
 * for an access reply. Allocated when first needed, let go of when empty.
 */
interface Transient {
  /** Callbacks waiting for this resource (and its references) to load. */
  ready: ReadyCallback[] | undefined;
  /** Events held while a queue reason is set. */
  events: ResourceEvent[] | undefined;
  /** Callbacks waiting for the access request that is out. */
  access: ((a: Access) => void)[] | undefined;
  /** Bounds how many references load at once (--referencethrottle). */
  throttle: Throttle | undefined;
  /** Requests waiting on this subscription to answer; it is not collected meanwhile. */
  pending: number;
  /** The error loading the resource ended with (kept for good: such subscriptions are few). */
  err: ResError | undefined;
}

export function canGet(a: Access): ResError | undefined {
  if (a.error) return a.error;
  return a.result?.get ? undefined : Errors.accessDenied();
}

export function canCall(a: Access, method: string): ResError | undefined {
  if (a.error) return a.error;
  const call = a.result?.call ?? "";
  if (call === "*") return undefined;
  if (call !== "" && call.split(",").includes(method)) return undefined;
  return Errors.accessDenied();
}

const EMPTY_VALUES: ReadonlyMap<string, Value> = new Map();

function deliverEvent(sub: Subscription, ev: ResourceEvent): void {
  sub.eventNow(ev);
}

/**
 * Every connection holds one per resource it subscribes to, so each field costs
 * (8 bytes × subscriptions). What is only needed while loading or while requests are
 * out (callback lists, the event queue, the throttle, the count of requests holding
 * it) or after a failure (the error) lives in a Transient allocated when needed; the
 * state, queue reasons, flags and direct count share one number, the model or
 * collection one field; the resource's name and query are derived from the rid.
 */
export class Subscription implements Subscriber {
  resource: CachedResource | undefined;
  /** The model or collection as loaded: what is sent to the client. */
  private data: Model | Collection | undefined;
  refs: Map<string, Reference> | undefined;

  /** References from other subscriptions (sent or loading). */
  indirect = 0;
  /** References from other subscriptions already sent to the client. */
  indirectSent = 0;

  private version = 0;
  /** The state (STATE_MASK), the queue reasons, the flags and the direct count. */
  private bits: number = SubState.loading | QueueReason.loading;
  private accessResult: Access | undefined;
  private transient: Transient | undefined;

  constructor(
    private readonly conn: SubscriptionOwner,
    readonly rid: string,
    throttle: Throttle | undefined,
  ) {
    if (throttle) this.work().throttle = throttle;
  }

  get state(): SubState {
    return (this.bits & STATE_MASK) as SubState;
  }

  set state(s: SubState) {
    this.bits = (this.bits & ~STATE_MASK) | s;
  }

  /** Direct subscriptions by the client. */
  get direct(): number {
    return this.bits >> DIRECT_SHIFT;
  }

  set direct(n: number) {
    this.bits = (this.bits & LOW_MASK) | (n << DIRECT_SHIFT);
  }

  get model(): Model | undefined {
    return this.data instanceof Model ? this.data : undefined;
  }

  get collection(): Collection | undefined {
    return this.data instanceof Collection ? this.data : undefined;
  }

  /** The reasons events are held now (0 for none). */
  private get queueFlag(): number {
    return this.bits & QUEUE_MASK;
  }

  private get throttle(): Throttle | undefined {
    return this.transient?.throttle;
  }

  /** Requests waiting on this subscription to answer; it is not collected meanwhile. */
  get pending(): number {
    return this.transient?.pending ?? 0;
  }

  set pending(n: number) {
    if (n === 0 && !this.transient) return;
    this.work().pending = n;
    this.settle();
  }

  private get err(): ResError | undefined {
    return this.transient?.err;
  }

  private set err(err: ResError | undefined) {
    if (err === undefined && !this.transient) return;
    this.work().err = err;
    this.settle();
  }

  private work(): Transient {
    return (this.transient ??= {
      ready: undefined,
      events: undefined,
      access: undefined,
      throttle: undefined,
      pending: 0,
      err: undefined,
    });
  }

  /** Lets go of the transient state once nothing is left in it. */
  private settle(): void {
    const t = this.transient;
    if (t && !t.ready && !t.events && !t.access && !t.throttle && t.pending === 0 && !t.err) {
      this.transient = undefined;
    }
  }

  /** Takes the ready callbacks waiting on this subscription. */
  private takeReady(): ReadyCallback[] {
    const t = this.transient;
    const rcbs = t?.ready;
    if (!t || !rcbs) return [];
    t.ready = undefined;
    this.settle();
    return rcbs;
  }

  get cid(): string {
    return this.conn.cid;
  }

  /** The resource name as services see it: `{cid}` replaced, without the query. */
  get resourceName(): string {
    const rid = expandCid(this.rid, this.conn.cid);
    const i = rid.indexOf("?");
    return i === -1 ? rid : rid.slice(0, i);
  }

  /** The query part of the rid ("" for none), `{cid}` replaced. */
  get resourceQuery(): string {
    const rid = expandCid(this.rid, this.conn.cid);
    const i = rid.indexOf("?");
    return i === -1 ? "" : rid.slice(i + 1);
  }

  /** The queue of held events, created on first use (most subscriptions never hold one). */
  private get eventQueue(): ResourceEvent[] {
    return (this.work().events ??= []);
  }

  isReady(): boolean {
    return this.state >= SubState.ready;
  }

  isSent(): boolean {
    return this.state === SubState.sent;
  }

  /** The error that loading the resource ended with, if any. */
  error(): ResError | undefined {
    if (this.state === SubState.disposed) {
      return new ResError("system.disposedSubscription", "Resource subscription is disposed");
    }
    return this.err;
  }

  // ---- loading ---------------------------------------------------------------

  loaded(resource: CachedResource | undefined, err: ResError | undefined): void {
    const queued = this.conn.enqueue(() => {
      if (this.state === SubState.disposed) {
        if (resource) resource.unsubscribe(this);
        return;
      }
      if (err || !resource) {
        this.err = err ?? Errors.internalError();
        this.doneLoading();
        return;
      }
      this.resource = resource;
      this.state = SubState.loaded;
      this.queueEvents(QueueReason.loading);
      if (resource.type === "model") {
        if (!this.subscribeRefs(resource.model?.values.values() ?? [])) return;
        this.data = resource.model;
      } else {
        if (!this.subscribeRefs(resource.collection?.values ?? [])) return;
        this.data = resource.collection;
      }
      this.version = resource.version;
      for (const rcb of this.takeReady()) this.collectRefs(rcb);
    });
    if (!queued && resource) resource.unsubscribe(this);
  }

  /** Subscribes to every referenced resource; on failure the subscription takes the error. */
  private subscribeRefs(values: Iterable<Value>): boolean {
    for (const v of values) {
      if (v.type !== ValueType.reference) continue;
      try {
        this.addReference(v.rid);
      } catch (e) {
        for (const ref of this.refs?.values() ?? []) {
          this.conn.release(ref.sub, { direct: false, sent: false, count: 1, collect: true });
        }
        this.refs = undefined;
        this.err = toResError(e);
        this.doneLoading();
        return false;
      }
    }
    return true;
  }

  /**
   * Calls `cb` once this resource and everything it references (recursively) has
   * loaded, or at once when that is already so.
   */
  onReady(cb: () => void): void {
    if (this.isReady()) {
      cb();
      return;
    }
    this.onLoaded({ refs: new Set(), cb, loading: 0 });
  }

  private onLoaded(rcb: ReadyCallback): void {
    rcb.refs.add(this.rid);
    rcb.loading++;
    if (this.state >= SubState.loaded) this.collectRefs(rcb);
    else (this.work().ready ??= []).push(rcb);
  }

  private collectRefs(rcb: ReadyCallback): void {
    for (const [rid, ref] of this.refs ?? []) {
      if (ref.sub.isReady() || rcb.refs.has(rid)) continue;
      ref.sub.onLoaded(rcb);
    }
    rcb.loading--;
    if (rcb.loading === 0) rcb.cb();
  }

  private doneLoading(): void {
    this.state = SubState.ready;
    const rcbs = this.takeReady();
    if (this.transient) {
      this.transient.throttle = undefined;
      this.settle();
    }
    for (const rcb of rcbs) {
      rcb.loading--;
      if (rcb.loading === 0) rcb.cb();
    }
  }

  // ---- resource sets -----------------------------------------------------------

  /**
   * Adds this resource and every unsent resource it references to `set`, marking
   * them to be sent. Events are held until releaseResources() is called.
   */
  populate(set: ResourceSet, indirect: boolean): void {
    if (indirect) this.indirectSent++;
    if (this.state === SubState.sent || this.state === SubState.toSend) return;
    const err = this.error();
    if (err) {
      set.addError(this.rid, err);
      return;
    }
    const legacy = this.legacy;
    if (this.collection) {
      set.addCollection(
        this.rid,
        legacy ? this.collection.toLegacyJSON() : this.collection.toJSON(),
      );
    } else if (this.model) {
      set.addModel(this.rid, legacy ? this.model.toLegacyJSON() : this.model.toJSON());
    }
    this.state = SubState.toSend;
    for (const ref of this.refs?.values() ?? []) ref.sub.populate(set, true);
  }

  /** The resource set for this subscription (see populate). */
  resources(): ResourceSet {
    const set = new ResourceSet();
    this.populate(set, false);
    return set;
  }

  /** Marks everything populated as sent, and lets held events through. */
  releaseResources(): void {
    if (this.state === SubState.disposed || this.state === SubState.sent || this.err) return;
    this.state = SubState.sent;
    for (const ref of this.refs?.values() ?? []) ref.sub.releaseResources();
    this.unqueueEvents(QueueReason.loading);
  }

  private queueEvents(reason: number): void {
    this.bits |= reason;
  }

  private unqueueEvents(reason: number): void {
    this.bits &= ~reason;
    if (this.queueFlag !== 0) return;
    if (this.bits & Flag.reaccess) {
      this.handleReaccess(undefined);
      if (this.queueFlag !== 0) return;
    }
    const t = this.transient;
    const queue = t?.events;
    if (!t || !queue) return;
    t.events = undefined;
    this.settle();
    for (let i = 0; i < queue.length; i++) {
      this.processEvent(queue[i] as ResourceEvent);
      // An event may start queueing again; keep the rest in order.
      if (this.queueFlag !== 0) {
        const rest = queue.slice(i + 1);
        const later = this.transient?.events;
        const all = later ? rest.concat(later) : rest;
        if (all.length > 0) this.work().events = all;
        return;
      }
    }
  }

  // ---- references --------------------------------------------------------------

  private addReference(rid: string): Subscription {
    this.refs ??= new Map();
    const ref = this.refs.get(rid);
    if (ref) {
      ref.count++;
      return ref.sub;
    }
    const sub = this.conn.acquire(rid, false, this.throttle);
    this.refs.set(rid, { sub, count: 1 });
    return sub;
  }

  /** addReference for an event: a failure is logged and the event dropped, as Resgate does. */
  private tryAddReference(rid: string): Subscription | undefined {
    try {
      return this.addReference(rid);
    } catch (e) {
      this.conn.logError(`subscription ${this.rid}: error subscribing to ${rid}`, {
        err: toResError(e).message,
      });
      return undefined;
    }
  }

  private removeReference(rid: string): void {
    const ref = this.refs?.get(rid);
    if (!ref) return;
    ref.count--;
    if (ref.count === 0) {
      this.refs?.delete(rid);
      this.conn.release(ref.sub, { direct: false, sent: this.isSent(), count: 1, collect: true });
    }
  }

  // ---- events ------------------------------------------------------------------

  event(ev: ResourceEvent): void {
    // Called for every subscriber of every event: no closure is made for the pair.
    this.conn.enqueueWith(deliverEvent, this, ev);
  }

  /** An event, run on the connection's queue. */
  eventNow(ev: ResourceEvent): void {
    if (ev.event === "reaccess") {
      this.reaccessNow(undefined);
      return;
    }
    // Events before the resource has loaded, or after disposal, are dropped.
    if (!this.resource) return;
    if (this.queueFlag !== 0) {
      this.eventQueue.push(ev);
      return;
    }
    this.processEvent(ev);
  }

  private processEvent(ev: ResourceEvent): void {
    if (this.version !== ev.version) return;
    if (ev.update) this.version++;
    if (this.collection) this.processCollectionEvent(ev);
    else this.processModelEvent(ev);
  }

  private get legacy(): boolean {
    return this.conn.legacyValues;
  }

  private processCollectionEvent(ev: ResourceEvent): void {
    switch (ev.event) {
      case "add": {
        const v = ev.value as Value;
        const idx = ev.idx;
        if (v.type === ValueType.reference) {
          const sub = this.tryAddReference(v.rid);
          if (!sub) return;
          if (sub.isSent()) {
            sub.indirectSent++;
            this.conn.sendEvent(ev, this.rid, "add", () => `{"idx":${idx},"value":${v.json}}`);
            return;
          }
          this.queueEvents(QueueReason.loading);
          sub.onReady(() => {
            if (this.state === SubState.disposed) return;
            const set = sub.resourcesIndirect();
            this.conn.sendEvent(undefined, this.rid, "add", () =>
              set.withFields(`"idx":${idx},"value":${v.json}`),
            );
            sub.releaseResources();
            this.unqueueEvents(QueueReason.loading);
          });
          return;
        }
        if (this.conn.sendSharedFrame(ev, this.rid)) return;
        const json = this.legacy ? legacyValueJson(v) : v.json;
        this.conn.sendEvent(ev, this.rid, "add", `{"idx":${idx},"value":${json}}`);
        return;
      }
      case "remove": {
        const v = ev.value;
        if (v?.type === ValueType.reference) this.removeReference(v.rid);
        this.conn.sendEvent(ev, this.rid, "remove", ev.payloadJson);
        return;
      }
      case "delete":
        this.deleted(ev);
        return;
      default:
        this.conn.sendEvent(ev, this.rid, ev.event, ev.payloadJson);
    }
  }

  private processModelEvent(ev: ResourceEvent): void {
    switch (ev.event) {
      case "change": {
        const changed = ev.changed ?? EMPTY_VALUES;
        const old = ev.oldValues;
        // Allocated only when the change sets references (this runs per subscriber).
        let subs: Subscription[] | undefined;
        let hasUnsent = false;
        for (const v of changed.values()) {
          if (v.type !== ValueType.reference) continue;
          const sub = this.tryAddReference(v.rid);
          if (!sub) return;
          hasUnsent ||= !sub.isSent();
          (subs ??= []).push(sub);
        }
        // Release replaced references after adding new ones, so that a reference that
        // moved between properties is not unsubscribed and subscribed again.
        if (old) {
          for (const k of changed.keys()) {
            const ov = old.get(k);
            if (ov?.type === ValueType.reference) this.removeReference(ov.rid);
          }
        }
        if (!subs || !hasUnsent) {
          if (subs) for (const sub of subs) sub.indirectSent++;
          if (this.conn.sendSharedFrame(ev, this.rid)) return;
          const json = `{"values":${encodeValueMap(changed, this.legacy)}}`;
          this.conn.sendEvent(ev, this.rid, "change", json);
          return;
        }
        const values = () => encodeValueMap(changed, this.legacy);
        this.queueEvents(QueueReason.loading);
        let count = subs.length;
        for (const sub of subs) {
          sub.onReady(() => {
            if (this.state === SubState.disposed) return;
            count--;
            if (count > 0) return;
            const set = new ResourceSet();
            for (const s of subs) s.populate(set, true);
            this.conn.sendEvent(undefined, this.rid, "change", () =>
              set.withFields(`"values":${values()}`),
            );
            for (const s of subs) s.releaseResources();
            this.unqueueEvents(QueueReason.loading);
          });
        }
        return;
      }
      case "delete":
        this.deleted(ev);
        return;
      default:
        this.conn.sendEvent(ev, this.rid, ev.event, ev.payloadJson);
    }
  }

  private resourcesIndirect(): ResourceSet {
    const set = new ResourceSet();
    this.populate(set, true);
    return set;
  }

  private deleted(ev: ResourceEvent): void {
    this.state = SubState.deleted;
    this.conn.sendEvent(ev, this.rid, "delete", ev.payloadJson);
    this.unsubscribeDirect(Errors.deleted());
  }

  /** Drops every direct subscription and tells the client why. */
  unsubscribeDirect(reason: ResError): void {
    if (this.direct <= 0) return;
    this.conn.release(this, { direct: true, sent: false, count: this.direct, collect: true });
    this.conn.sendEvent(undefined, this.rid, "unsubscribe", () =>
      JSON.stringify({ reason: reason.toJSON() }),
    );
  }

  // ---- access ------------------------------------------------------------------

  /**
   * Asks for access again (token change, reaccess event, system.reset). With
   * `lenient`, a timeout or missing service keeps the subscription.
   */
  reaccess(throttle: Throttle | undefined, lenient = false): void {
    this.conn.enqueue(() => this.reaccessNow(throttle, lenient));
  }

  reaccessNow(throttle: Throttle | undefined, lenient = false): void {
    if (this.state === SubState.disposed) return;
    if (this.queueFlag !== 0) {
      this.bits |= Flag.reaccess;
      return;
    }
    this.handleReaccess(throttle, lenient);
  }

  private handleReaccess(throttle: Throttle | undefined, lenient = false): void {
    this.accessResult = undefined;
    this.bits &= ~Flag.reaccess;
    if (this.direct === 0) return;
    this.queueEvents(QueueReason.reaccess);
    this.loadAccess((a) => {
      const err = canGet(a);
      if (err && !(lenient && a.error && isTransportError(a.error))) this.unsubscribeDirect(err);
      this.unqueueEvents(QueueReason.reaccess);
    }, throttle);
  }

  private loadAccess(cb: (a: Access) => void, throttle: Throttle | undefined): void {
    if (this.accessResult) {
      cb(this.accessResult);
      return;
    }
    (this.work().access ??= []).push(cb);
    if (this.bits & Flag.accessCalled) return;
    this.bits |= Flag.accessCalled;
    const request = () =>
      this.conn.access(this, (access) => {
        this.conn.enqueue(() => {
          if (this.state === SubState.disposed) return;
          const t = this.transient;
          const cbs = t?.access ?? [];
          if (t) {
            t.access = undefined;
            this.settle();
          }
          this.bits &= ~Flag.accessCalled;
          // Only a result or an access denial is kept; other errors are asked again.
          if (!access.error || access.error.code === ErrorCode.accessDenied) {
            this.accessResult = access;
          }
          for (const c of cbs) c(access);
        });
        throttle?.done();
      });
    if (throttle) throttle.add(request);
    else request();
  }

  /** Calls back with undefined when the client may get the resource, or the reason why not. */
  checkGet(cb: (err: ResError | undefined) => void): void {
    this.loadAccess((a) => cb(canGet(a)), undefined);
  }

  /** Calls back with undefined when the client may call `method`, or the reason why not. */
  checkCall(method: string, cb: (err: ResError | undefined) => void): void {
    this.loadAccess((a) => cb(canCall(a, method)), undefined);
  }

  // ---- teardown ----------------------------------------------------------------

  dispose(): void {
    if (this.state === SubState.disposed) return;
    const state = this.state;
    this.state = SubState.disposed;
    const t = this.transient;
    if (t) {
      // Requests still holding it count down as they end (pending is kept).
      t.ready = undefined;
      t.events = undefined;
      t.access = undefined;
      t.throttle = undefined;
      this.settle();
    }
    if (this.resource) {
      const sent = state === SubState.sent;
      for (const ref of this.refs?.values() ?? []) {
        this.conn.release(ref.sub, { direct: false, sent, count: 1, collect: false });
      }
      this.refs = undefined;
      if (state !== SubState.deleted) this.resource.unsubscribe(this);
      this.resource = undefined;
    }
  }

  /**
   * Marks the subscription as not sent (its last sent referrer is gone while unsent
   * referrers remain), so that it is sent again with the next referrer.
   */
  unsend(): void {
    this.state = SubState.ready;
    this.indirectSent = 0;
    for (const ref of this.refs?.values() ?? []) {
      if (ref.sub.state === SubState.sent && ref.sub.indirectSent > 0) ref.sub.indirectSent--;
    }
  }

  /** The subscription of a resource this one references (for HTTP encodings). */
  ref(rid: string): Subscription | undefined {
    return this.refs?.get(rid)?.sub;
  }

  /** Every subscription this one references, for reachability checks. */
  references(): Iterable<Subscription> {
    const refs = this.refs;
    return refs ? [...refs.values()].map((r) => r.sub) : [];
  }
}
