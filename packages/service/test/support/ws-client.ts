/**
 * A raw RES WebSocket client (the `ws` package): numbered requests, responses and
 * events kept apart, every wait bounded.
 */
import { WebSocket } from "ws";
import { within } from "./wait.js";

export interface ErrorObject {
  code: string;
  message: string;
  data?: unknown;
}

export interface Response {
  id: number;
  result?: unknown;
  error?: ErrorObject;
}

export interface ClientEvent {
  event: string;
  data: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isErrorObject(v: unknown): v is ErrorObject {
  return isRecord(v) && typeof v["code"] === "string" && typeof v["message"] === "string";
}

export class WsClient {
  #nextId = 1;
  readonly #responses = new Map<number, Response>();
  #responseWaiters = new Map<number, (r: Response) => void>();
  readonly #events: ClientEvent[] = [];
  #eventWaiters: { name: string; resolve: (e: ClientEvent) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => this.#onFrame(data.toString()));
  }

  /** Connects and sends the version request (protocol 1.2.3). */
  static async connect(url: string): Promise<WsClient> {
    const ws = new WebSocket(url);
    await within(
      new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      }),
      3000,
      "WebSocket connect",
    );
    const c = new WsClient(ws);
    await c.result("version", { protocol: "1.2.3" });
    return c;
  }

  #onFrame(text: string): void {
    const msg: unknown = JSON.parse(text);
    if (!isRecord(msg)) return;
    const event = msg["event"];
    if (typeof event === "string") {
      const ev: ClientEvent = { event, data: msg["data"] };
      const i = this.#eventWaiters.findIndex((w) => w.name === event);
      const w = this.#eventWaiters[i];
      if (w) {
        this.#eventWaiters.splice(i, 1);
        w.resolve(ev);
      } else {
        this.#events.push(ev);
      }
      return;
    }
    const id = msg["id"];
    if (typeof id !== "number") return;
    const r: Response = { id };
    if ("result" in msg) r.result = msg["result"];
    if (isErrorObject(msg["error"])) r.error = msg["error"];
    const waiter = this.#responseWaiters.get(id);
    if (waiter) {
      this.#responseWaiters.delete(id);
      waiter(r);
    } else {
      this.#responses.set(id, r);
    }
  }

  /** Sends a request and waits (at most `ms`) for its response. */
  request(method: string, params?: unknown, ms = 3000): Promise<Response> {
    const id = this.#nextId++;
    const req: Record<string, unknown> = { id, method };
    if (params !== undefined) req["params"] = params;
    this.ws.send(JSON.stringify(req));
    const early = this.#responses.get(id);
    if (early) return Promise.resolve(early);
    return within(
      new Promise<Response>((resolve) => this.#responseWaiters.set(id, resolve)),
      ms,
      `response to ${method}`,
    );
  }

  /** The result of a request; throws on an error response. */
  async result(method: string, params?: unknown): Promise<unknown> {
    const r = await this.request(method, params);
    if (r.error) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
    return r.result;
  }

  /** The error of a request; throws on a result. */
  async error(method: string, params?: unknown): Promise<ErrorObject> {
    const r = await this.request(method, params);
    if (!r.error) throw new Error(`${method}: expected an error, got ${JSON.stringify(r.result)}`);
    return r.error;
  }

  /** The next event named `name` (`<rid>.<event>`), waiting at most `ms`. */
  nextEvent(name: string, ms = 2000): Promise<ClientEvent> {
    const i = this.#events.findIndex((e) => e.event === name);
    const e = this.#events[i];
    if (e) {
      this.#events.splice(i, 1);
      return Promise.resolve(e);
    }
    return within(
      new Promise<ClientEvent>((resolve) => this.#eventWaiters.push({ name, resolve })),
      ms,
      `event ${name}`,
    );
  }

  /** Events received and not yet taken. */
  get pendingEvents(): readonly ClientEvent[] {
    return this.#events;
  }

  /** Closes the connection and waits (at most 1 s) until it is closed. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.ws.once("close", () => resolve()));
    this.ws.close();
    await within(closed, 1000, "WebSocket close").catch(() => this.ws.terminate());
  }
}
