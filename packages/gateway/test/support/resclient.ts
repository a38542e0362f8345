/**
 * The official RES client (npm `resclient`), typed for the end-to-end tests.
 *
 * resclient is CommonJS; from ESM its module object is the default import, and the
 * class is that object's `default`. Its bundled declarations are mostly `any`, so this
 * module states the small part of its API the tests use, precisely.
 */
import resclient from "resclient";
import { WebSocket } from "ws";

/** A resclient event handler: the event data (changed values, {item, idx}, …). */
export type ResEventHandler = (data: unknown) => void;

export interface ResModel {
  /** The model's properties; references are ResModel/ResCollection instances. */
  readonly props: Record<string, unknown>;
  getResourceId(): string;
  on(events: string | null, handler: ResEventHandler): this;
  off(events: string | null, handler: ResEventHandler): this;
  call(method: string, params?: unknown): Promise<unknown>;
  toJSON(): unknown;
}

export interface ResCollection {
  readonly length: number;
  getResourceId(): string;
  atIndex(idx: number): unknown;
  toArray(): unknown[];
  on(events: string | null, handler: ResEventHandler): this;
  off(events: string | null, handler: ResEventHandler): this;
  toJSON(): unknown;
}

/** The error a rejected request gives. */
export interface ResClientError {
  readonly code: string;
  readonly message: string;
  readonly data: unknown;
  getResourceId(): string;
}

export interface ResClientOptions {
  /** Milliseconds from the last listener leaving to the unsubscribe request. */
  unsubscribeDelay?: number;
  reconnectDelay?: number;
  subscribeStaleDelay?: number;
  subscribeRetryDelay?: number;
  namespace?: string;
  debug?: boolean;
}

export interface ResClientInstance {
  readonly connected: boolean;
  /** The protocol version the gateway reported, as an integer. */
  readonly protocol: number | undefined;
  /** Cached resources by resource ID. */
  readonly cache: Record<string, unknown>;
  connect(): Promise<void>;
  disconnect(): void;
  get(rid: string): Promise<ResModel | ResCollection>;
  call(rid: string, method: string, params?: unknown): Promise<unknown>;
  authenticate(rid: string, method: string, params?: unknown): Promise<unknown>;
  on(events: string | null, handler: ResEventHandler): void;
  off(events: string | null, handler: ResEventHandler): void;
}

/** What resclient needs from a WebSocket: the browser-style API, which `ws` provides. */
export type WebSocketFactory = () => WebSocket;

type ResClientConstructor = new (
  factory: WebSocketFactory,
  opts?: ResClientOptions,
) => ResClientInstance;

type Constructor<T> = abstract new (...args: never[]) => T;

export const ResClient = resclient.default as unknown as ResClientConstructor;
const ResModelClass = resclient.ResModel as unknown as Constructor<ResModel>;
const ResCollectionClass = resclient.ResCollection as unknown as Constructor<ResCollection>;

export function isResModel(v: unknown): v is ResModel {
  return v instanceof ResModelClass;
}

export function isResCollection(v: unknown): v is ResCollection {
  return v instanceof ResCollectionClass;
}

export function isResClientError(v: unknown): v is ResClientError {
  return resclient.isResError(v);
}

/** A factory for `ws` WebSockets that records every text frame sent and received. */
export class RecordingSocketFactory {
  readonly sent: string[] = [];
  readonly received: string[] = [];
  readonly sockets: WebSocket[] = [];

  constructor(private readonly url: string) {}

  readonly create = (): WebSocket => {
    const ws = new WebSocket(this.url);
    const send = ws.send.bind(ws);
    ws.send = ((data: string) => {
      this.sent.push(String(data));
      send(data);
    }) as typeof ws.send;
    ws.on("message", (data: Buffer) => this.received.push(data.toString()));
    this.sockets.push(ws);
    return ws;
  };

  /** The requests sent with this method (parsed), in order. */
  requests(method: string): { id: number; method: string; params?: unknown }[] {
    return this.sent
      .map((s) => JSON.parse(s) as { id: number; method: string; params?: unknown })
      .filter((r) => r.method === method);
  }

  /** Events received for this resource (parsed), in order. */
  events(rid: string): { event: string; data?: unknown }[] {
    return this.received
      .map((s) => JSON.parse(s) as { event?: string; data?: unknown })
      .filter(
        (m): m is { event: string; data?: unknown } => m.event?.startsWith(rid + ".") ?? false,
      );
  }

  terminateAll(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}
