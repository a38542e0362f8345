/**
 * A raw RES WebSocket client for tests: sends requests with increasing ids, keeps
 * responses and events apart, and waits for each with a bound.
 */
import assert from "node:assert/strict";
import { WebSocket } from "ws";

export interface Response {
  id: number;
  result?: unknown;
  error?: { code: string; message: string; data?: unknown };
}

export interface ClientEvent {
  event: string;
  data?: unknown;
}

interface Waiter<T> {
  match: (v: T) => boolean;
  resolve: (v: T) => void;
}

export class TestClient {
  /** Every frame received, as text, in order. */
  readonly frames: string[] = [];
  private nextId = 1;
  private readonly responses = new Map<number, Response>();
  private readonly responseWaiters = new Map<number, (r: Response) => void>();
  private readonly events: ClientEvent[] = [];
  private eventWaiters: Waiter<ClientEvent>[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => this.onFrame(data.toString()));
    this.closed = new Promise((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static connect(url: string, headers?: Record<string, string>): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const c = new TestClient(ws);
      const t = setTimeout(() => reject(new Error("connect timeout")), 3000);
      ws.once("open", () => {
        clearTimeout(t);
        resolve(c);
      });
      ws.once("error", (err) => {
        clearTimeout(t);
        reject(err);
      });
    });
  }

  private onFrame(text: string): void {
    this.frames.push(text);
    const msg = JSON.parse(text) as Record<string, unknown>;
    if (typeof msg["event"] === "string") {
      const ev: ClientEvent = msg as unknown as ClientEvent;
      const w = this.eventWaiters.findIndex((x) => x.match(ev));
      if (w >= 0) {
        const [waiter] = this.eventWaiters.splice(w, 1);
        waiter?.resolve(ev);
      } else {
        this.events.push(ev);
      }
      return;
    }
    const r = msg as unknown as Response;
    const waiter = this.responseWaiters.get(r.id);
    if (waiter) {
      this.responseWaiters.delete(r.id);
      waiter(r);
    } else {
      this.responses.set(r.id, r);
    }
  }

  /** Sends a raw text frame. */
  send(text: string | Buffer, binary = false): void {
    this.ws.send(text, { binary });
  }

  /** Sends a request and returns its id without waiting. */
  sendRequest(method: string, params?: unknown): number {
    const id = this.nextId++;
    const req: Record<string, unknown> = { id, method };
    if (params !== undefined) req["params"] = params;
    this.ws.send(JSON.stringify(req));
    return id;
  }

  /** The response to request `id`, waiting at most `ms`. */
  response(id: number, ms = 3000): Promise<Response> {
    const r = this.responses.get(id);
    if (r) {
      this.responses.delete(id);
      return Promise.resolve(r);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.responseWaiters.delete(id);
        reject(new Error(`no response to request ${id} within ${ms} ms`));
      }, ms);
      this.responseWaiters.set(id, (resp) => {
        clearTimeout(t);
        resolve(resp);
      });
    });
  }

  /** Sends a request and waits for its response. */
  request(method: string, params?: unknown, ms?: number): Promise<Response> {
    return this.response(this.sendRequest(method, params), ms);
  }

  /** Sends a request and returns its result, failing on an error response. */
  async result(method: string, params?: unknown): Promise<unknown> {
    const r = await this.request(method, params);
    assert.equal(r.error, undefined, `${method}: unexpected error ${JSON.stringify(r.error)}`);
    return r.result;
  }

  /** Sends a request and returns its error, failing on a result. */
  async error(method: string, params?: unknown): Promise<Response["error"]> {
    const r = await this.request(method, params);
    assert.ok(r.error, `${method}: expected an error, got ${JSON.stringify(r)}`);
    return r.error;
  }

  /** The next event (named `name`, when given), waiting at most `ms`. */
  nextEvent(name?: string, ms = 2000): Promise<ClientEvent> {
    const match = (e: ClientEvent) => name === undefined || e.event === name;
    const i = this.events.findIndex(match);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0] as ClientEvent);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<ClientEvent> = {
        match,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e);
        },
      };
      const t = setTimeout(() => {
        this.eventWaiters = this.eventWaiters.filter((w) => w !== waiter);
        reject(new Error(`no event${name ? " " + name : ""} within ${ms} ms`));
      }, ms);
      this.eventWaiters.push(waiter);
    });
  }

  /** Waits for the next event and asserts its name and data. */
  async event(name: string, data?: unknown): Promise<ClientEvent> {
    const ev = await this.nextEvent();
    assert.equal(ev.event, name, `expected event ${name}, got ${JSON.stringify(ev)}`);
    if (arguments.length > 1) assert.deepEqual(ev.data, data);
    return ev;
  }

  /** Asserts that no event arrives within `ms` (events already queued count). */
  async noEvent(ms = 100): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    assert.equal(this.events.length, 0, `unexpected events: ${JSON.stringify(this.events)}`);
  }

  /** Events received but not yet taken. */
  pendingEvents(): readonly ClientEvent[] {
    return this.events;
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
