/**
 * Everything cached under one resource name: the NATS subscription to its events,
 * the plain resource, its query resources, and the query forms normalized into
 * them. Work on it runs one callback at a time, in order, on its own queue.
 */
import {
  ErrorCode,
  compact,
  internalError,
  isNull,
  member,
  parseRawErrorObject,
  readArray,
  readObject,
  readString,
  toResError,
  type ResError,
} from "@resgate-ts/protocol";
import type { BusSubscription } from "../bus/bus.js";
import type { TimerEntry } from "../util/fifo-timer.js";
import type { Cache } from "./cache.js";
import { CachedResource, ResourceState } from "./resource.js";
import { jsonText, readResourceValues } from "./service-codec.js";
import type { Throttle } from "./throttle.js";
import { newResourceEvent, type Subscriber } from "./types.js";

export class EventSubscription {
  busSub: BusSubscription | undefined;
  /** Subscribers and requests in flight that keep this entry in the cache. */
  count = 1;
  eviction: TimerEntry | undefined;
  /** Left the cache: late replies may still land here, but no longer count as held. */
  evicted = false;
  base: CachedResource | undefined;
  readonly queries = new Map<string, CachedResource>();
  readonly links = new Map<string, CachedResource>();

  private readonly queue: (() => void)[] = [];
  private running = false;
  /** Replies to query requests still out; other work waits until they are in. */
  private locks = 0;

  constructor(
    readonly name: string,
    readonly cache: Cache,
  ) {}

  /** Runs `fn` after everything queued before it. */
  enqueue(fn: () => void): void {
    this.queue.push(fn);
    this.drain();
  }

  private drain(): void {
    if (this.running) return;
    this.running = true;
    try {
      while (this.locks === 0 && this.queue.length > 0) {
        const fn = this.queue.shift() as () => void;
        try {
          fn();
        } catch (err) {
          this.cache.log.error({ err, rid: this.name }, "cache callback failed");
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The resource for a query ("" for the plain resource), created when missing. */
  resourceFor(query: string): CachedResource {
    if (query === "") return (this.base ??= new CachedResource(this, ""));
    let rs = this.queries.get(query) ?? this.links.get(query);
    if (!rs) {
      rs = new CachedResource(this, query);
      this.queries.set(query, rs);
    }
    return rs;
  }

  addSubscriber(sub: Subscriber, throttle: Throttle | undefined): void {
    this.enqueue(() => {
      const rs = this.resourceFor(sub.resourceQuery);
      switch (rs.state) {
        case ResourceState.subscribed:
          rs.subs.add(sub);
          rs.requestGet(throttle);
          return;
        case ResourceState.requested:
          rs.subs.add(sub);
          return;
        case ResourceState.error:
          this.removeCount(1);
          sub.loaded(undefined, rs.err);
          return;
        case ResourceState.model:
        case ResourceState.collection:
          rs.subs.add(sub);
          sub.loaded(rs, undefined);
          return;
      }
    });
  }

  addCount(): void {
    if (this.count === 0 && this.eviction) {
      this.cache.evictions.cancel(this.eviction);
      this.eviction = undefined;
    }
    this.count++;
  }

  /** Releases `n` uses; at zero the entry is evicted after the unsubscribe delay. */
  removeCount(n: number): void {
    if (n === 0) return;
    this.count -= n;
    if (this.count === 0) this.cache.scheduleEviction(this);
  }

  /** Handles a message on `event.<name>.<event>`. */
  onEvent(event: string, data: Uint8Array): void {
    const onFanout = this.cache.onFanout;
    const start = onFanout ? performance.now() : 0;
    this.enqueue(() => {
      if (event === "query") {
        this.handleQueryEvent(data);
        return;
      }
      let payload = "null";
      if (data.length > 0) {
        try {
          payload = compact(jsonText(data));
        } catch {
          this.cache.log.error({ rid: this.name, event }, "malformed event payload");
          return;
        }
      }
      // Only the plain resource takes events (reaccess included, as with Resgate); a
      // plain name normalized into a query resource is updated through query events.
      if (!this.base || this.base.query !== "") return;
      this.base.handleEvent(newResourceEvent(event, payload));
      onFanout?.(start);
    });
  }

  /** The distinct resources cached under this name. */
  resources(): CachedResource[] {
    const all = new Set<CachedResource>();
    if (this.base) all.add(this.base);
    for (const rs of this.queries.values()) all.add(rs);
    return [...all];
  }

  /**
   * A query event asks, on the subject it names, for the events of every cached query
   * resource; until every reply is in, other work on this name waits.
   * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md#query-event
   */
  private handleQueryEvent(data: Uint8Array): void {
    if (this.queries.size === 0) return;
    let subject: string | undefined;
    try {
      const o = readObject(jsonText(data));
      const raw = o && member(o, "subject");
      subject = isNull(raw) ? "" : readString(raw);
    } catch {
      subject = undefined;
    }
    if (subject === undefined || subject === "") {
      this.cache.log.error({ rid: this.name }, "query event without subject");
      return;
    }
    const targets = [...this.queries].filter(([, rs]) => rs.loaded);
    if (targets.length === 0) return;
    this.locks = targets.length;
    for (const [query, rs] of targets) {
      this.cache.bus.request(subject, JSON.stringify({ query }), (err, reply) =>
        this.unlock(() => {
          if (!err) this.applyQueryReply(rs, reply ?? new Uint8Array());
        }),
      );
    }
  }

  private unlock(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.cache.log.error({ err, rid: this.name }, "query event callback failed");
    }
    this.locks--;
    if (this.locks === 0) this.drain();
  }

  private applyQueryReply(rs: CachedResource, data: Uint8Array): void {
    let result: Map<string, string>;
    try {
      const reply = readObject(jsonText(data));
      if (!reply) throw internalError("reply is not a JSON object");
      const e = member(reply, "error");
      if (!isNull(e)) throw parseRawErrorObject(e) ?? internalError("invalid error object");
      const r = member(reply, "result");
      const o = isNull(r) ? undefined : readObject(r);
      if (!o) throw internalError("response missing result");
      result = o;
    } catch (e) {
      const err: ResError = toResError(e);
      // A query resource that is gone is deleted; other errors are only logged.
      if (err.code === ErrorCode.notFound) rs.handleEvent(newResourceEvent("delete", "null"));
      else
        this.cache.log.error(
          { rid: this.name, query: rs.query, err: err.message },
          "query event error",
        );
      return;
    }
    const events = member(result, "events");
    if (!isNull(events)) {
      // Events come alone: with a model or collection beside them the reply is invalid.
      if (!isNull(member(result, "model")) || !isNull(member(result, "collection"))) {
        this.cache.log.error({ rid: this.name, query: rs.query }, "invalid query event reply");
        return;
      }
      for (const raw of readArray(events) ?? []) {
        const ev = readObject(raw);
        const name = ev ? member(ev, "event") : undefined;
        const event = name === undefined ? undefined : readString(name);
        if (!ev || event === undefined) continue;
        const payload = member(ev, "data");
        rs.handleEvent(newResourceEvent(event, payload === undefined ? "null" : compact(payload)));
      }
      return;
    }
    try {
      const { model, collection } = readResourceValues(result);
      if (model) {
        if (rs.state === ResourceState.model) rs.resetModel(model);
      } else if (collection) {
        if (rs.state === ResourceState.collection) rs.resetCollection(collection);
      }
    } catch (e) {
      this.cache.log.error({ rid: this.name, err: toResError(e).message }, "query event error");
    }
  }

  /** `system.reset` on this name: get every cached form again. */
  resetResources(throttle: Throttle | undefined): void {
    this.enqueue(() => {
      if (this.base && this.base.query === "") this.base.resetResource(throttle);
      for (const rs of this.queries.values()) rs.resetResource(throttle);
    });
  }

  /** `system.reset` access pattern on this name: every subscriber checks access again. */
  resetAccess(throttle: Throttle | undefined, lenient = false): void {
    this.enqueue(() => {
      for (const rs of this.resources()) rs.resetAccess(throttle, lenient);
    });
  }
}
