/**
 * The official RES client (npm `resclient`) for the example tests, typed.
 *
 * resclient is CommonJS with loose generated declarations (mostly `any`). This module
 * states the part of its API the tests use, once, here at the boundary; everything
 * else uses these types.
 */
import resclient from "resclient";
import { WebSocket } from "ws";
import { within } from "./wait.js";

/** A resource event listener: the event data (changed values, `{ item, idx }`, ...). */
export type ResEventHandler = (data: unknown) => void;

interface ResResource {
  getResourceId(): string;
  /**
   * Listening to a resource keeps it subscribed (without arguments: listens to nothing,
   * but holds it); `unsubscribe` fires when the gateway drops it.
   */
  on(events?: string | null, handler?: ResEventHandler): this;
  off(events?: string | null, handler?: ResEventHandler): this;
  toJSON(): unknown;
}

export interface ResModel extends ResResource {
  /** The model's properties; references are ResModel/ResCollection instances. */
  readonly props: Readonly<Record<string, unknown>>;
  call(method: string, params?: unknown): Promise<unknown>;
  /** Calls the model's `set` method. */
  set(props: Record<string, unknown>): Promise<unknown>;
}

export interface ResCollection extends ResResource {
  readonly length: number;
  atIndex(idx: number): unknown;
  toArray(): unknown[];
  call(method: string, params?: unknown): Promise<unknown>;
}

/** The error a rejected request gives. */
export interface ResClientError {
  readonly code: string;
  readonly message: string;
  readonly data: unknown;
}

export interface ResClientOptions {
  unsubscribeDelay?: number;
  reconnectDelay?: number;
  subscribeStaleDelay?: number;
  subscribeRetryDelay?: number;
}

export interface ResClient {
  readonly connected: boolean;
  connect(): Promise<void>;
  disconnect(): void;
  get(rid: string): Promise<ResModel | ResCollection>;
  call(rid: string, method: string, params?: unknown): Promise<unknown>;
  authenticate(rid: string, method: string, params?: unknown): Promise<unknown>;
}

type Constructor<T> = abstract new (...args: never[]) => T;
type ResClientConstructor = new (factory: () => WebSocket, opts?: ResClientOptions) => ResClient;

// The boundary: resclient's module object, typed as the interfaces above.
const ResClientClass = resclient.default as unknown as ResClientConstructor;
const ResModelClass = resclient.ResModel as unknown as Constructor<ResModel>;
const ResCollectionClass = resclient.ResCollection as unknown as Constructor<ResCollection>;

export function isResModel(v: unknown): v is ResModel {
  return v instanceof ResModelClass;
}

export function isResCollection(v: unknown): v is ResCollection {
  return v instanceof ResCollectionClass;
}

export function isResError(v: unknown): v is ResClientError {
  return resclient.isResError(v);
}

/** A resclient for `wsUrl` over the `ws` package (not yet connected). */
export function createClient(wsUrl: string, opts: ResClientOptions = {}): ResClient {
  return new ResClientClass(() => new WebSocket(wsUrl), {
    unsubscribeDelay: 50,
    reconnectDelay: 60_000,
    subscribeStaleDelay: 0,
    subscribeRetryDelay: 0,
    ...opts,
  });
}

/**
 * Gets a model and holds it, as a page showing it would: resclient unsubscribes a
 * resource nobody listens to (after `unsubscribeDelay`), and drops it from its cache.
 */
export async function getModel(client: ResClient, rid: string): Promise<ResModel> {
  const m = await within(client.get(rid), 3000, `get ${rid}`);
  if (!isResModel(m)) throw new Error(`${rid} is not a model`);
  return m.on();
}

/** Gets a collection and holds it (see getModel). */
export async function getCollection(client: ResClient, rid: string): Promise<ResCollection> {
  const c = await within(client.get(rid), 3000, `get ${rid}`);
  if (!isResCollection(c)) throw new Error(`${rid} is not a collection`);
  return c.on();
}

/** The RES error a request fails with (within 3 s); throws when it succeeds. */
export async function resError(request: Promise<unknown>): Promise<ResClientError> {
  let result: unknown;
  try {
    result = await within(request, 3000, "request");
  } catch (err) {
    if (isResError(err)) return err;
    throw err;
  }
  throw new Error(`expected an error, got ${JSON.stringify(result)}`);
}

/** The events of one kind on a resource, kept from now on; `next()` waits for one. */
export class EventLog {
  readonly received: unknown[] = [];
  #taken = 0;
  #wake: (() => void) | undefined;
  readonly #handler: ResEventHandler = (data) => {
    this.received.push(data);
    this.#wake?.();
  };

  constructor(
    private readonly resource: ResResource,
    readonly event: string,
  ) {
    resource.on(event, this.#handler);
  }

  /** The next event not yet taken, waiting at most `ms`. */
  async next(ms = 2000): Promise<unknown> {
    const what = `${this.event} on ${this.resource.getResourceId()}`;
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.received.length > this.#taken) {
            this.#wake = undefined;
            resolve();
          }
        };
        this.#wake = check;
        check();
      }),
      ms,
      what,
    );
    return this.received[this.#taken++];
  }

  /** Events received and not yet taken. */
  get pending(): number {
    return this.received.length - this.#taken;
  }

  stop(): void {
    this.resource.off(this.event, this.#handler);
  }
}
