/**
 * A service scripted over a real NATS connection: it records every request the
 * gateway sends (access, get, call, auth, and any subject asked for), lets a test
 * answer each by hand or with a standing handler, and publishes events.
 */
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";

const dec = new TextDecoder();

/** One request from the gateway, with helpers to answer it. */
export class ServiceRequest {
  readonly raw: string;
  readonly data: Record<string, unknown>;
  answered = false;

  constructor(
    readonly subject: string,
    private readonly msg: Msg,
  ) {
    this.raw = dec.decode(msg.data);
    let parsed: unknown;
    try {
      parsed = this.raw === "" ? null : JSON.parse(this.raw);
    } catch {
      parsed = null;
    }
    this.data = (parsed ?? {}) as Record<string, unknown>;
  }

  get cid(): string {
    return String(this.data["cid"]);
  }

  /** Sends the reply text as is. */
  respondRaw(text: string): void {
    this.answered = true;
    this.msg.respond(text);
  }

  respond(reply: unknown): void {
    this.respondRaw(JSON.stringify(reply));
  }

  result(result: unknown): void {
    this.respond({ result });
  }

  error(code: string, message = "Error", data?: unknown): void {
    this.respond({ error: data === undefined ? { code, message } : { code, message, data } });
  }

  model(model: Record<string, unknown>, query?: string): void {
    this.result(query === undefined ? { model } : { model, query });
  }

  collection(collection: unknown[], query?: string): void {
    this.result(query === undefined ? { collection } : { collection, query });
  }

  access(get: boolean, call?: string): void {
    this.result(call === undefined ? { get } : { get, call });
  }

  resource(rid: string): void {
    this.respond({ resource: { rid } });
  }

  /** A pre-response that extends the gateway's timeout. */
  timeout(ms: number): void {
    this.msg.respond(`timeout:"${ms}"`);
  }
}

type Handler = (req: ServiceRequest) => void;

interface Waiter {
  subject: string | undefined;
  resolve: (r: ServiceRequest) => void;
}

/** Subjects a subject pattern matches, NATS style (`*` one token, `>` the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

export class ScriptedService {
  /** Every request received, in order. */
  readonly log: ServiceRequest[] = [];
  private unclaimed: ServiceRequest[] = [];
  private waiters: Waiter[] = [];
  private handlers: { pattern: string; handler: Handler }[] = [];

  private constructor(readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<ScriptedService> {
    const nc = await connect({ servers: url, name: "scripted-service" });
    const s = new ScriptedService(nc);
    for (const subject of ["access.>", "get.>", "call.>", "auth.>"]) s.listen(subject);
    await nc.flush();
    return s;
  }

  /** Records requests on another subject (a query-event or token-reset subject). */
  async listenTo(subject: string): Promise<void> {
    this.listen(subject);
    await this.nc.flush();
  }

  private listen(subject: string): void {
    this.nc.subscribe(subject, {
      callback: (_err, msg) => this.onRequest(new ServiceRequest(msg.subject, msg)),
    });
  }

  private onRequest(req: ServiceRequest): void {
    this.log.push(req);
    for (let i = this.handlers.length - 1; i >= 0; i--) {
      const h = this.handlers[i];
      if (h && subjectMatches(h.pattern, req.subject)) {
        h.handler(req);
        return;
      }
    }
    const w = this.waiters.findIndex((x) => x.subject === undefined || x.subject === req.subject);
    if (w >= 0) {
      const [waiter] = this.waiters.splice(w, 1);
      waiter?.resolve(req);
      return;
    }
    this.unclaimed.push(req);
  }

  /** Answers every request matching `pattern` with `handler` from now on (latest wins). */
  handle(pattern: string, handler: Handler): void {
    this.handlers.push({ pattern, handler });
  }

  /** Standing answers for a resource: full access and the given model. */
  serveModel(rid: string, model: Record<string, unknown>): void {
    this.handle(`access.${rid}`, (r) => r.access(true, "*"));
    this.handle(`get.${rid}`, (r) => r.model(model));
  }

  serveCollection(rid: string, collection: unknown[]): void {
    this.handle(`access.${rid}`, (r) => r.access(true, "*"));
    this.handle(`get.${rid}`, (r) => r.collection(collection));
  }

  /** The next unhandled request (on `subject`, when given), waiting at most `ms`. */
  next(subject?: string, ms = 2000): Promise<ServiceRequest> {
    const i = this.unclaimed.findIndex((r) => subject === undefined || r.subject === subject);
    if (i >= 0) return Promise.resolve(this.unclaimed.splice(i, 1)[0] as ServiceRequest);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { subject, resolve: (r) => (clearTimeout(t), resolve(r)) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== waiter);
        reject(new Error(`no request${subject ? " on " + subject : ""} within ${ms} ms`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  /** The next `n` unhandled requests, keyed by subject. */
  async nextMany(n: number, ms = 2000): Promise<Map<string, ServiceRequest>> {
    const out = new Map<string, ServiceRequest>();
    for (let i = 0; i < n; i++) {
      const r = await this.next(undefined, ms);
      out.set(r.subject, r);
    }
    return out;
  }

  /** Asserts that no request on `subject` arrives within `ms`. */
  async noRequest(subject: string, ms = 100): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const r = this.unclaimed.find((x) => x.subject === subject);
    if (r) throw new Error(`unexpected request on ${subject}: ${r.raw}`);
  }

  /** Requests received on a subject so far. */
  requests(subject: string): ServiceRequest[] {
    return this.log.filter((r) => r.subject === subject);
  }

  /** Publishes `event.<rid>.<name>` with a JSON payload (or raw text). */
  event(rid: string, name: string, payload?: unknown, raw?: string): void {
    this.nc.publish(
      `event.${rid}.${name}`,
      raw ?? (payload === undefined ? "" : JSON.stringify(payload)),
    );
  }

  publish(subject: string, payload: unknown): void {
    this.nc.publish(subject, typeof payload === "string" ? payload : JSON.stringify(payload));
  }

  /** Sets a connection's token. */
  token(cid: string, token: unknown, tid?: string): void {
    this.publish(`conn.${cid}.token`, tid === undefined ? { token } : { token, tid });
  }

  /** Waits until everything published has reached the server. */
  flush(): Promise<void> {
    return this.nc.flush();
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
