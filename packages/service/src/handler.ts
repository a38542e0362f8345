/**
 * The handler of a resource pattern: which requests it answers and how.
 */
import type { QueryRequest } from "./query.js";
import type { AccessRequest, AuthRequest, CallRequest, GetRequest, NewRequest } from "./request.js";
import type { Resource } from "./resource.js";
import type { ChangeValues, Value } from "./values.js";

/** A handler may be synchronous or return a promise. */
export type HandlerResult = void | Promise<void>;

/** The kind of resource a handler serves. */
export type ResourceType = "model" | "collection";

export type AccessHandler<P extends object> = (r: AccessRequest<P>) => HandlerResult;
export type GetHandler<P extends object> = (r: GetRequest<P>) => HandlerResult;
export type CallHandler<P extends object> = (r: CallRequest<P>) => HandlerResult;
export type AuthHandler<P extends object> = (r: AuthRequest<P>) => HandlerResult;
/** @deprecated Use a call handler with a resource response (`r.resource(rid)`). */
export type NewHandler<P extends object> = (r: NewRequest<P>) => HandlerResult;
export type QueryHandler<P extends object> = (r: QueryRequest<P>) => HandlerResult;

/**
 * Apply handlers update the service's own store when the resource's events are sent
 * (go-res's ApplyChange etc.): `r.changeEvent(values)` first calls `apply.change`, then
 * sends the event. They are synchronous, so the store and the events never disagree.
 */
export interface ApplyHandlers<P extends object> {
  /**
   * Applies a change; may return the previous values of the changed properties. An
   * empty object means nothing changed, and no event is sent.
   */
  change?: (r: Resource<P>, values: ChangeValues) => ChangeValues | void;
  /** Inserts `value` at `idx`. */
  add?: (r: Resource<P>, idx: number, value: Value) => void;
  /** Removes the value at `idx`. */
  remove?: (r: Resource<P>, idx: number) => void;
  /** Creates the resource from `data`. */
  create?: (r: Resource<P>, data: unknown) => void;
  /** Deletes the resource. */
  delete?: (r: Resource<P>) => void;
}

/** The handlers of one resource pattern. Every member is optional. */
export interface Handler<P extends object> {
  /**
   * The resource type. When set, a get handler may only answer with that type, and
   * events of the other type (change on a collection, add/remove on a model) throw.
   */
  type?: ResourceType;
  /** Answers access requests. Without one, access requests are left to other services. */
  access?: AccessHandler<P>;
  /** Answers get requests with a model or a collection. Without one: system.notFound. */
  get?: GetHandler<P>;
  /** Call methods by name; `"*"` answers any method without its own handler. */
  call?: Readonly<Record<string, CallHandler<P>>>;
  /** Auth methods by name; `"*"` answers any method without its own handler. */
  auth?: Readonly<Record<string, AuthHandler<P>>>;
  /** @deprecated Answers `call.<rid>.new`; use a call handler with `r.resource(rid)`. */
  new?: NewHandler<P>;
  /** Store updates run by the resource's event methods. */
  apply?: ApplyHandlers<P>;
  /**
   * The queue the resource is handled on. Resources with the same group share one
   * ordered queue; `${name}` is replaced by the `$name` path parameter. Default: the
   * resource name (one queue per resource).
   */
  group?: string;
  /** Handle requests for this pattern without any queue (no ordering at all). */
  parallel?: boolean;
}
