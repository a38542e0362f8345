/**
 * Query requests: after a query event, a gateway asks for each query it holds of the
 * resource what changed. The handler answers with events (`changeEvent`, `addEvent`,
 * `removeEvent`, collected into one response) or with the full model or collection.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md#query-request
 */
import { ErrorCode, Errors, ResError } from "@resgate-ts/protocol";
import type { AnyParams } from "./pattern.js";
import type { Responder } from "./request.js";
import { Resource, type ResourceInit } from "./resource.js";
import {
  assertValue,
  checkChange,
  checkCollection,
  checkModel,
  type ChangeOf,
  type Collection,
  type ModelOf,
  type Value,
} from "./values.js";

interface QueryEventEntry {
  event: string;
  data: unknown;
}

export class QueryRequest<P extends object = AnyParams> extends Resource<P> {
  readonly #responder: Responder;
  readonly #events: QueryEventEntry[] = [];
  #replied = false;

  /** @internal */
  constructor(init: ResourceInit<P>, responder: Responder) {
    super(init);
    this.#responder = responder;
  }

  /** True once the query request has been answered. */
  get replied(): boolean {
    return this.#replied;
  }

  /** The events collected so far. */
  get events(): readonly { readonly event: string; readonly data: unknown }[] {
    return this.#events;
  }

  /**
   * Adds a change event for this query's model to the response (nothing is published:
   * no apply handler runs). Empty changes are left out.
   */
  override changeEvent<T extends ChangeOf<T>>(values: T): void {
    if (this.handler?.type === "collection")
      throw new Error("res: change event not allowed on query collections");
    const changed = checkChange(values, "query change event");
    if (Object.keys(changed).length === 0) return;
    this.#events.push({ event: "change", data: { values: changed } });
  }

  /** Adds an add event for this query's collection to the response. */
  override addEvent(idx: number, value: Value): void {
    if (this.handler?.type === "model")
      throw new Error("res: add event not allowed on query models");
    if (!Number.isInteger(idx) || idx < 0) throw new Error("res: add event idx must be >= 0");
    assertValue(value, "query add event");
    this.#events.push({ event: "add", data: { value, idx } });
  }

  /** Adds a remove event for this query's collection to the response. */
  override removeEvent(idx: number): void {
    if (this.handler?.type === "model")
      throw new Error("res: remove event not allowed on query models");
    if (!Number.isInteger(idx) || idx < 0) throw new Error("res: remove event idx must be >= 0");
    this.#events.push({ event: "remove", data: { idx } });
  }

  /** Answers with the query's full model (instead of events). */
  model<T extends ModelOf<T>>(model: T): void {
    if (this.handler?.type === "collection")
      throw new Error("res: model response not allowed on query collections");
    const m = checkModel(model, "query model");
    this.send(() => JSON.stringify({ result: { model: m } }));
  }

  /** Answers with the query's full collection (instead of events). */
  collection(collection: Collection): void {
    if (this.handler?.type === "model")
      throw new Error("res: collection response not allowed on query models");
    checkCollection(collection, "query collection");
    this.send(() => JSON.stringify({ result: { collection } }));
  }

  /** Answers with system.notFound: gateways then treat the query resource as deleted. */
  notFound(): void {
    this.error(Errors.notFound());
  }

  /** Answers with system.invalidQuery. */
  invalidQuery(message?: string): void {
    this.error(new ResError(ErrorCode.invalidQuery, message ?? "Invalid query"));
  }

  /** Answers with an error (a non-ResError is sent as system.internalError). */
  error(err: ResError | Error): void {
    const e = err instanceof ResError ? err : Errors.internalError();
    if (!(err instanceof ResError)) this.core.reportError("error in query request", err);
    this.send(() => JSON.stringify({ error: e }));
  }

  /** Sends a pre-response extending the requester's timeout to `ms` milliseconds. */
  timeout(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error("res: invalid timeout duration");
    if (!this.#replied) this.#responder.respond(`timeout:"${Math.floor(ms)}"`);
  }

  /** @internal Sends the collected events, unless the request was answered otherwise. */
  finish(): void {
    if (this.#replied) return;
    const events = this.#events;
    this.send(() => JSON.stringify({ result: { events } }));
  }

  private send(encode: () => string): void {
    if (this.#replied) {
      this.core.reportError(`response already sent on query request for ${this.resourceName}`);
      return;
    }
    const payload = encode();
    this.#replied = true;
    this.#responder.respond(payload);
  }
}
