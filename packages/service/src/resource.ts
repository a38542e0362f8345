/**
 * A resource as seen from a handler: its name, query and path parameters, and
 * methods that send the resource's events (applying them to the handler's store
 * first, when the handler has `apply` handlers).
 */
import type { Handler, QueryHandler, ResourceType } from "./handler.js";
import type { AnyParams } from "./pattern.js";
import { isValidPart } from "./pattern.js";
import {
  assertValue,
  checkChange,
  type ChangeOf,
  type ChangeValues,
  type Collection,
  type Model,
  type Value,
} from "./values.js";

/** What resources and requests need from the service they belong to. */
export interface ServiceCore {
  /** Publishes an event (payload undefined: an empty message). */
  publish(subject: string, payload?: string): void;
  /** Reports an error in the service or in a handler (logged and passed to onError). */
  reportError(message: string, err?: unknown): void;
  /** Starts a query event for a resource. */
  queryEvent(resource: Resource<AnyParams>, handler: QueryHandler<AnyParams>): void;
  /** Gets a resource's value from its get handler. */
  value(resource: Resource<AnyParams>): Promise<ResourceValue>;
}

/** Event names a custom event may not use. */
const RESERVED_EVENTS = new Set([
  "add",
  "change",
  "create",
  "delete",
  "patch",
  "reset",
  "reaccess",
  "remove",
  "unsubscribe",
  "query",
]);

/** @internal Everything a resource is made from. */
export interface ResourceInit<P extends object> {
  readonly core: ServiceCore;
  readonly resourceName: string;
  readonly query: string;
  readonly pathParams: P;
  readonly handler: Handler<P> | undefined;
  readonly group: string | undefined;
}

/** The result of {@link Resource.value}: a model or a collection. */
export type ResourceValue = { model: Model } | { collection: Collection };

export class Resource<P extends object = AnyParams> {
  /** The resource name, without query (e.g. `library.book.42`). */
  readonly resourceName: string;
  /** The query part of the resource ID without `?` ("" when none). */
  readonly query: string;
  /** The `$name` placeholders of the handler pattern and their values. */
  readonly pathParams: P;
  /** The queue (worker group) the resource is handled on; undefined for parallel handlers. */
  readonly group: string | undefined;
  /** @internal */
  protected readonly core: ServiceCore;
  /** @internal */
  protected readonly handler: Handler<P> | undefined;

  constructor(init: ResourceInit<P>) {
    this.core = init.core;
    this.resourceName = init.resourceName;
    this.query = init.query;
    this.pathParams = init.pathParams;
    this.handler = init.handler;
    this.group = init.group;
  }

  /** The resource ID: the name, and `?query` when there is a query. */
  get rid(): string {
    return this.query === "" ? this.resourceName : `${this.resourceName}?${this.query}`;
  }

  /** The resource type declared by the handler, if any. */
  get resourceType(): ResourceType | undefined {
    return this.handler?.type;
  }

  /** The query parsed as URL search parameters. */
  parseQuery(): URLSearchParams {
    return new URLSearchParams(this.query);
  }

  /**
   * Sends a custom event. Reserved names (`change`, `add`, `remove`, `delete`, ...)
   * throw: use the matching method instead.
   */
  event(name: string, payload?: unknown): void {
    if (RESERVED_EVENTS.has(name)) throw new Error(`res: "${name}" is a reserved event name`);
    if (!isValidPart(name)) throw new Error(`res: invalid event name "${name}"`);
    this.core.publish(
      `event.${this.resourceName}.${name}`,
      payload === undefined ? undefined : JSON.stringify(payload),
    );
  }

  /**
   * Sends a model change event with the changed properties (use `Delete` to delete
   * one). Undefined properties are left out; nothing is sent when nothing is left.
   * With an `apply.change` handler, the change is applied first; if it returns an
   * empty object (nothing changed), no event is sent.
   */
  changeEvent<T extends ChangeOf<T>>(values: T): void {
    if (this.handler?.type === "collection")
      throw new Error("res: change event not allowed on collections");
    const changed = checkChange(values, "change event") as ChangeValues;
    if (Object.keys(changed).length === 0) return;
    const apply = this.handler?.apply?.change;
    if (apply) {
      const rev = apply(this, changed);
      if (rev && Object.keys(rev).length === 0) return;
    }
    this.core.publish(`event.${this.resourceName}.change`, JSON.stringify({ values: changed }));
  }

  /** Sends a collection add event: `value` inserted at `idx`. */
  addEvent(idx: number, value: Value): void {
    if (this.handler?.type === "model") throw new Error("res: add event not allowed on models");
    assertIndex(idx, "add event");
    assertValue(value, "add event");
    this.handler?.apply?.add?.(this, idx, value);
    this.core.publish(`event.${this.resourceName}.add`, JSON.stringify({ value, idx }));
  }

  /** Sends a collection remove event for the value at `idx`. */
  removeEvent(idx: number): void {
    if (this.handler?.type === "model") throw new Error("res: remove event not allowed on models");
    assertIndex(idx, "remove event");
    this.handler?.apply?.remove?.(this, idx);
    this.core.publish(`event.${this.resourceName}.remove`, JSON.stringify({ idx }));
  }

  /** Sends a reaccess event: access to the resource must be checked again. */
  reaccessEvent(): void {
    this.core.publish(`event.${this.resourceName}.reaccess`);
  }

  /** Sends a `system.reset` for this resource: gateways get it again. */
  resetEvent(): void {
    this.core.publish("system.reset", JSON.stringify({ resources: [this.resourceName] }));
  }

  /** Sends a create event (applying `data` with the `apply.create` handler first). */
  createEvent(data?: unknown): void {
    this.handler?.apply?.create?.(this, data);
    this.core.publish(`event.${this.resourceName}.create`);
  }

  /** Sends a delete event (calling the `apply.delete` handler first). */
  deleteEvent(): void {
    this.handler?.apply?.delete?.(this);
    this.core.publish(`event.${this.resourceName}.delete`);
  }

  /**
   * Sends a query event: gateways then send a query request for each query they hold
   * of this resource, and `handler` answers each (on this resource's queue) with the
   * events to apply, or with the full model or collection.
   */
  queryEvent(handler: QueryHandler<P>): void {
    this.core.queryEvent(this.erased(), handler as unknown as QueryHandler<AnyParams>);
  }

  /**
   * Gets the resource's value by calling its get handler (as go-res's Value). Rejects
   * with the handler's error (such as system.notFound). Call it from the resource's
   * own queue (a handler, or `service.with`) to see a consistent state.
   */
  value(): Promise<ResourceValue> {
    return this.core.value(this.erased());
  }

  /** @internal The parts a copy of this resource (or a request on it) is made from. */
  protected init(): ResourceInit<P> {
    return {
      core: this.core,
      resourceName: this.resourceName,
      query: this.query,
      pathParams: this.pathParams,
      handler: this.handler,
      group: this.group,
    };
  }

  /** @internal This resource with its path parameters as a plain record. */
  protected erased(): Resource<AnyParams> {
    return this as unknown as Resource<AnyParams>;
  }
}

function assertIndex(idx: number, where: string): void {
  if (!Number.isInteger(idx) || idx < 0)
    throw new Error(`res: ${where}: idx must be a non-negative integer`);
}
