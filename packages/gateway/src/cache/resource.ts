/**
 * One cached resource: a resource name with one query (or none). It holds the value,
 * the subscribers, and applies service events to the value before handing them on.
 * All of its methods run on its EventSubscription's queue.
 */
import {
  DELETE_VALUE,
  ErrorCode,
  ResError,
  toResError,
  valueEquals,
  type Value,
} from "@resgate-ts/protocol";
import { NoRespondersError } from "../bus/bus.js";
import { RESET_RETRIES, RESET_RETRY_DELAY_MS } from "../constants.js";
import type { EventSubscription } from "./event-subscription.js";
import { collectionDiff } from "./lcs.js";
import { Collection, Model, encodeValueMap } from "./resource-data.js";
import {
  decodeAddEvent,
  decodeChangeEvent,
  decodeGetResponse,
  decodeRemoveEvent,
  encodeGetRequest,
  type GetResult,
} from "./service-codec.js";
import type { Throttle } from "./throttle.js";
import { newResourceEvent, type ResourceEvent, type Subscriber } from "./types.js";

export const ResourceState = {
  subscribed: 0,
  error: 1,
  requested: 2,
  collection: 3,
  model: 4,
} as const;
export type ResourceState = (typeof ResourceState)[keyof typeof ResourceState];

export type ResourceType = "model" | "collection";

export class CachedResource {
  state: ResourceState = ResourceState.subscribed;
  subs = new Set<Subscriber>();
  /** A reset get is out: change/add/remove events are dropped, its reply decides. */
  resetting = false;
  /** Query strings (or "" for the plain name) that were normalized into this resource. */
  links: string[] = [];
  /** Internal version, bumped by every event that changes the value. */
  version = 0;
  private modelValue: Model | undefined;
  private collectionValue: Collection | undefined;
  err: ResError | undefined;

  constructor(
    readonly owner: EventSubscription,
    readonly query: string,
  ) {}

  get model(): Model | undefined {
    return this.modelValue;
  }

  /** Setting the value keeps the cache's count of bytes held up to date. */
  set model(m: Model | undefined) {
    if (!this.owner.evicted) {
      this.owner.cache.trackBytes((m?.size ?? 0) - (this.modelValue?.size ?? 0));
    }
    this.modelValue = m;
  }

  get collection(): Collection | undefined {
    return this.collectionValue;
  }

  set collection(c: Collection | undefined) {
    if (!this.owner.evicted) {
      this.owner.cache.trackBytes((c?.size ?? 0) - (this.collectionValue?.size ?? 0));
    }
    this.collectionValue = c;
  }

  /** Drops the value (the resource left the cache). */
  release(): void {
    this.model = undefined;
    this.collection = undefined;
  }

  get type(): ResourceType | undefined {
    if (this.state === ResourceState.model) return "model";
    if (this.state === ResourceState.collection) return "collection";
    return undefined;
  }

  get loaded(): boolean {
    return this.state > ResourceState.requested;
  }

  /** The subscriber no longer uses this resource. */
  unsubscribe(sub: Subscriber): void {
    this.owner.enqueue(() => {
      this.subs.delete(sub);
      // Query resources leave the cache as soon as their last subscriber goes.
      if (this.query !== "" && this.subs.size === 0) this.unregister();
      this.owner.removeCount(1);
    });
  }

  /** Sends the get request for this resource (through the throttle when there is one). */
  requestGet(throttle: Throttle | undefined): void {
    this.state = ResourceState.requested;
    const subject = "get." + this.owner.name;
    const payload = encodeGetRequest(this.query);
    const send = () =>
      this.owner.cache.bus.request(subject, payload, (err, data) => {
        this.owner.enqueue(() => this.processGetResponse(err, data));
        throttle?.done();
      });
    if (throttle) throttle.add(send);
    else send();
  }

  handleEvent(r: ResourceEvent): void {
    // Events that arrive before the resource has loaded are older than the get reply.
    if (!this.loaded && r.event !== "reaccess") return;
    r.version = this.version;
    switch (r.event) {
      case "change":
        if (this.resetting || !this.applyChange(r)) return;
        break;
      case "add":
        if (this.resetting || !this.applyAdd(r)) return;
        break;
      case "remove":
        if (this.resetting || !this.applyRemove(r)) return;
        break;
      case "delete":
        if (!this.resetting) this.applyDelete(r);
        return;
      default:
        break;
    }
    for (const sub of this.subs) sub.event(r);
  }

  private logEventError(r: ResourceEvent, reason: string): false {
    this.owner.cache.log.error(
      { rid: this.owner.name, event: r.event },
      `error processing event ${this.owner.name}.${r.event}: ${reason}`,
    );
    return false;
  }

  private applyChange(r: ResourceEvent): boolean {
    if (!this.model) return this.logEventError(r, "change event on collection");
    let props: Map<string, Value>;
    try {
      props = decodeChangeEvent(r.payloadJson);
    } catch (err) {
      return this.logEventError(r, toResError(err).message);
    }
    const old = this.model.values;
    const next = new Map(old);
    for (const [k, v] of props) {
      if (v === DELETE_VALUE) {
        if (next.has(k)) next.delete(k);
        else props.delete(k);
      } else {
        const ov = next.get(k);
        if (ov && valueEquals(ov, v)) props.delete(k);
        else next.set(k, v);
      }
    }
    if (props.size === 0) return false;
    r.changed = props;
    r.oldValues = old;
    r.update = true;
    this.model = new Model(next);
    this.version++;
    return true;
  }

  private applyAdd(r: ResourceEvent): boolean {
    if (!this.collection) return this.logEventError(r, "add event on model");
    let add: { idx: number; value: Value };
    try {
      add = decodeAddEvent(r.payloadJson);
    } catch (err) {
      return this.logEventError(r, toResError(err).message);
    }
    const old = this.collection.values;
    if (add.idx < 0 || add.idx > old.length) {
      return this.logEventError(r, `idx ${add.idx} is out of bounds`);
    }
    const next = old.slice();
    next.splice(add.idx, 0, add.value);
    this.collection = new Collection(next);
    this.version++;
    r.idx = add.idx;
    r.value = add.value;
    r.update = true;
    return true;
  }

  private applyRemove(r: ResourceEvent): boolean {
    if (!this.collection) return this.logEventError(r, "remove event on model");
    let idx: number;
    try {
      idx = decodeRemoveEvent(r.payloadJson).idx;
    } catch (err) {
      return this.logEventError(r, toResError(err).message);
    }
    const old = this.collection.values;
    if (idx < 0 || idx >= old.length) return this.logEventError(r, `idx ${idx} is out of bounds`);
    r.value = old[idx];
    const next = old.slice();
    next.splice(idx, 1);
    this.collection = new Collection(next);
    this.version++;
    r.idx = idx;
    r.update = true;
    return true;
  }

  private applyDelete(r: ResourceEvent): void {
    const subs = this.subs;
    this.subs = new Set();
    this.unregister();
    this.owner.removeCount(subs.size);
    for (const sub of subs) sub.event(r);
  }

  /** Removes this resource, and every query form linked to it, from its EventSubscription. */
  unregister(): void {
    const e = this.owner;
    // Subscribers keep the values they were given; the cache lets go of them.
    this.release();
    if (this.query === "") {
      if (e.base === this) e.base = undefined;
    } else if (e.queries.get(this.query) === this) {
      e.queries.delete(this.query);
    }
    for (const q of this.links) {
      if (q === "") {
        if (e.base === this) e.base = undefined;
      } else {
        e.links.delete(q);
      }
    }
    this.links = [];
  }

  private processGetResponse(err: ResError | undefined, data: Uint8Array | undefined): void {
    let result: GetResult | undefined;
    if (!err) {
      try {
        result = decodeGetResponse(data ?? new Uint8Array());
      } catch (e) {
        err = toResError(e);
      }
    }
    if (err || !result) {
      this.state = ResourceState.error;
      this.err = err;
      const subs = [...this.subs];
      this.subs = new Set();
      this.unregister();
      this.owner.removeCount(subs.length);
      for (const sub of subs) sub.loaded(undefined, err);
      return;
    }

    // A reply with another (normalized) query: subscribers share that resource instead.
    const target = result.query === this.query ? this : this.owner.resourceFor(result.query);
    if (target !== this) {
      const e = this.owner;
      if (this.query === "") {
        e.base = target;
      } else {
        e.links.set(this.query, target);
        if (e.queries.get(this.query) === this) e.queries.delete(this.query);
      }
      target.links.push(this.query);
      for (const sub of this.subs) target.subs.add(sub);
    }
    const waiting = [...this.subs];
    // Another request may already have loaded the normalized resource.
    if (!target.loaded) {
      target.version = 0;
      if (result.model) {
        target.model = new Model(result.model);
        target.state = ResourceState.model;
      } else {
        target.collection = new Collection(result.collection ?? []);
        target.state = ResourceState.collection;
      }
    }
    for (const sub of waiting) sub.loaded(target, undefined);
  }

  // ---- system.reset ----------------------------------------------------------

  /**
   * Gets the resource again; the reply is turned into the events that lead to it.
   * When no service answers yet (say, services reconnect to NATS after the gateway
   * did), the get is retried a few times rather than the resource being dropped.
   */
  resetResource(throttle: Throttle | undefined, attempt = 0): void {
    if (this.resetting) return;
    this.resetting = true;
    const subject = "get." + this.owner.name;
    const payload = encodeGetRequest(this.query);
    const send = () =>
      this.owner.cache.bus.request(subject, payload, (err, data) => {
        this.owner.enqueue(() => {
          this.resetting = false;
          if (err instanceof NoRespondersError && attempt < RESET_RETRIES) {
            setTimeout(
              () => this.owner.enqueue(() => this.resetResource(undefined, attempt + 1)),
              RESET_RETRY_DELAY_MS,
            ).unref();
            return;
          }
          this.processResetResponse(err, data);
        });
        throttle?.done();
      });
    if (throttle) throttle.add(send);
    else send();
  }

  /**
   * Every subscriber must check its access again. With `lenient`, a timeout or a
   * missing service keeps the subscription (used when resynchronizing after NATS
   * comes back); otherwise any error unsubscribes, as Resgate does.
   */
  resetAccess(throttle: Throttle | undefined, lenient = false): void {
    for (const sub of this.subs) sub.reaccess(throttle, lenient);
  }

  private processResetResponse(err: ResError | undefined, data: Uint8Array | undefined): void {
    let result: GetResult | undefined;
    if (!err) {
      try {
        result = decodeGetResponse(data ?? new Uint8Array());
        if (
          (this.state === ResourceState.model && !result.model) ||
          (this.state === ResourceState.collection && !result.collection)
        ) {
          throw new ResError(ErrorCode.internalError, "mismatching resource type");
        }
      } catch (e) {
        err = toResError(e);
      }
    }
    if (err || !result) {
      // A resource that is gone is deleted; anything else is only logged.
      if (err?.code === ErrorCode.notFound) {
        this.handleEvent(newResourceEvent("delete", "null"));
      } else {
        this.owner.cache.log.error(
          { rid: this.owner.name, err: err?.message },
          `reset get error on ${this.owner.name}`,
        );
      }
      return;
    }
    if (result.model) this.resetModel(result.model);
    else if (result.collection) this.resetCollection(result.collection);
  }

  /** Sends the change event that turns the cached model into `props`. */
  resetModel(props: Map<string, Value>): void {
    if (!this.model) return;
    const old = this.model.values;
    const changed = new Map<string, Value>();
    for (const k of old.keys()) if (!props.has(k)) changed.set(k, DELETE_VALUE);
    for (const [k, v] of props) {
      const ov = old.get(k);
      if (!ov || !valueEquals(ov, v)) changed.set(k, v);
    }
    if (changed.size === 0) return;
    this.handleEvent(newResourceEvent("change", `{"values":${encodeValueMap(changed, false)}}`));
  }

  /** Sends the remove and add events that turn the cached collection into `values`. */
  resetCollection(values: Value[]): void {
    if (!this.collection) return;
    for (const step of collectionDiff(this.collection.values, values)) {
      this.handleEvent(
        step.op === "remove"
          ? newResourceEvent("remove", `{"idx":${step.idx}}`)
          : newResourceEvent("add", `{"idx":${step.idx},"value":${step.value.json}}`),
      );
    }
  }
}
