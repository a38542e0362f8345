/**
 * A RES service on NATS (go-res's Service): subscribes to the request subjects of its
 * resources, dispatches each request to its handler on the resource's ordered queue,
 * and sends events. On every (re)connect it sends a `system.reset` for its resources
 * so that gateways get them again.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md
 */
import {
  connect,
  createInbox,
  type Msg,
  type NatsConnection,
  type NodeConnectionOptions,
  type Subscription,
} from "@nats-io/transport-node";
import {
  ErrorCode,
  Errors,
  PROTOCOL_VERSION,
  ResError,
  ResourcePattern,
  isValidRid,
  splitRid,
} from "@resgate-ts/protocol";
import type { Handler, HandlerResult, QueryHandler } from "./handler.js";
import { isPlainPath, isValidPart, subjectCovers, type AnyParams } from "./pattern.js";
import { QueryRequest } from "./query.js";
import { WorkQueues } from "./queue.js";
import {
  AccessRequest,
  AuthRequest,
  CallRequest,
  GetRequest,
  NewRequest,
  encodeTokenEvent,
  parsePayload,
  type Request,
  type RequestInit,
  type RequestPayload,
  type Responder,
  type ValueCapture,
} from "./request.js";
import { Resource, type ResourceValue, type ServiceCore } from "./resource.js";
import { Router, type Match, type NoParams } from "./router.js";
import type { ChangeOf, Value } from "./values.js";

/** Where a service writes what it does. pino and console loggers fit. */
export interface Logger {
  info(message: string): void;
  error(message: string): void;
}

/** A logger that writes nothing. */
export const silentLogger: Logger = { info: () => undefined, error: () => undefined };

/** A logger writing to the console. */
export const consoleLogger: Logger = {
  info: (m) => console.info(m),
  error: (m) => console.error(m),
};

export interface ServiceOptions {
  /**
   * The NATS queue group of the request subscriptions, so that several instances share
   * the requests. Default: the service name. "" subscribes without a queue group.
   */
  queueGroup?: string;
  /**
   * Resource name patterns the service owns: sent in `system.reset` and subscribed to
   * for get, call and auth requests. Default `["<name>.>"]` (plus `"<name>"` when a
   * handler is registered for the empty pattern), or none without such handlers.
   */
  resetResources?: readonly string[];
  /**
   * Resource name patterns the service answers access requests for: sent in
   * `system.reset` and subscribed to. Default like `resetResources`, when the service
   * has access handlers.
   */
  resetAccess?: readonly string[];
  /** How long the service answers query requests after a query event (ms, default 3000). */
  queryEventDuration?: number;
  /** How long `close()` waits for running handlers (ms, default 10000). */
  closeTimeout?: number;
  /** Default: {@link consoleLogger}. */
  logger?: Logger;
  /** Called on every error reported (handler errors, protocol errors, double answers). */
  onError?: (message: string, err?: unknown) => void;
  /** Called once serving, after the initial `system.reset`. */
  onServe?: (service: Service) => void;
  /** Called when the NATS connection is lost. */
  onDisconnect?: (service: Service) => void;
  /** Called after reconnecting to NATS and sending `system.reset`. */
  onReconnect?: (service: Service) => void;
}

/** What `serve()` accepts: a NATS connection, a server URL, or connection options. */
export type ServeTarget = NatsConnection | string | NodeConnectionOptions;

type State = "stopped" | "starting" | "started" | "stopping";

const DEFAULT_QUERY_EVENT_DURATION = 3000;
const DEFAULT_CLOSE_TIMEOUT = 10_000;

const decoder = new TextDecoder();

/** The reply sent when a handler returns without answering. */
function missingResponse(): ResError {
  return new ResError(ErrorCode.internalError, "Internal error: missing response");
}

interface QueryWindow {
  readonly sub: Subscription;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * A RES service. Register handlers with `handle`/`group`/`mount`, then `serve` it.
 *
 * ```ts
 * const service = new Service("library");
 * service.handle("book.$id", {
 *   access: (r) => r.accessGranted(),
 *   get: (r) => r.model({ title: books.get(r.pathParams.id) ?? "" }),
 * });
 * await service.serve("nats://127.0.0.1:4222");
 * ```
 */
export class Service extends Router<NoParams> {
  /** The service name, prefixed to every resource pattern ("" for none). */
  readonly name: string;
  /** The RES protocol version the service implements. */
  readonly protocolVersion = PROTOCOL_VERSION;
  readonly #options: ServiceOptions;
  readonly #logger: Logger;
  readonly #queues = new WorkQueues();
  readonly #core: ServiceCore;
  #state: State = "stopped";
  #nc: NatsConnection | undefined;
  #ownsConnection = false;
  #subs: Subscription[] = [];
  readonly #queryWindows = new Set<QueryWindow>();
  #resetResources: readonly string[] | undefined;
  #resetAccess: readonly string[] | undefined;
  #closing: Promise<void> | undefined;
  #stopWatching: (() => void) | undefined;

  constructor(name: string, options: ServiceOptions = {}) {
    super();
    if (name !== "" && (!isPlainPath(name) || name.includes("$")))
      throw new Error(`res: invalid service name "${name}"`);
    this.name = name;
    this.#options = options;
    this.#logger = options.logger ?? consoleLogger;
    this.#resetResources = checkPatterns(options.resetResources);
    this.#resetAccess = checkPatterns(options.resetAccess);
    this.attach();
    this.#core = {
      publish: (subject, payload) => this.#publish(subject, payload),
      reportError: (message, err) => this.#reportError(message, err),
      queryEvent: (resource, handler) => this.#startQueryEvent(resource.resourceName, handler),
      value: (resource) => this.#value(resource),
    };
  }

  /** The NATS connection while serving. */
  get connection(): NatsConnection | undefined {
    return this.#nc;
  }

  /** True while serving (between `serve()` resolving and `close()` starting). */
  get serving(): boolean {
    return this.#state === "started";
  }

  /**
   * Sets the resource name patterns of `system.reset` (and of the request
   * subscriptions): `resources` for get/call/auth, `access` for access requests.
   * `undefined` keeps the default. Must be called before `serve`.
   */
  setReset(resources: readonly string[] | undefined, access: readonly string[] | undefined): this {
    if (this.#state !== "stopped") throw new Error("res: service already started");
    this.#resetResources = checkPatterns(resources);
    this.#resetAccess = checkPatterns(access);
    return this;
  }

  /** The handler matching a resource name (for tests and tools). */
  match(resourceName: string): Match | undefined {
    let parts: string[];
    if (this.name === "") parts = resourceName.split(".");
    else if (resourceName === this.name) parts = [];
    else if (resourceName.startsWith(this.name + ".") && resourceName.length > this.name.length + 1)
      parts = resourceName.slice(this.name.length + 1).split(".");
    else return undefined;
    return this.matchParts(parts, resourceName);
  }

  // ---- lifecycle -------------------------------------------------------------

  /**
   * Starts serving: connects (when given a URL or options; the connection then
   * reconnects forever and is closed by `close()`), subscribes to the request subjects
   * with the queue group, and sends `system.reset`. Resolves once serving.
   */
  async serve(target: ServeTarget): Promise<void> {
    if (this.#state !== "stopped") throw new Error("res: service already started");
    this.#state = "starting";
    let nc: NatsConnection | undefined;
    try {
      const { resources, access } = this.#ownership();
      if (resources.length === 0 && access.length === 0)
        throw new Error("res: no resources to serve");
      if (typeof target === "string" || !("subscribe" in target)) {
        const opts: NodeConnectionOptions =
          typeof target === "string" ? { servers: target } : target;
        nc = await connect({
          maxReconnectAttempts: -1,
          ...(this.name === "" ? {} : { name: this.name }),
          ...opts,
        });
        this.#ownsConnection = true;
      } else {
        nc = target;
        this.#ownsConnection = false;
      }
      this.#nc = nc;
      const queue = this.#options.queueGroup ?? this.name;
      for (const subject of requestSubjects(resources, access)) {
        this.#subs.push(
          nc.subscribe(subject, {
            ...(queue === "" ? {} : { queue }),
            callback: (err, msg) => this.#onRequest(err, msg),
          }),
        );
      }
      await nc.flush();
    } catch (err) {
      for (const s of this.#subs) s.unsubscribe();
      this.#subs = [];
      if (nc && this.#ownsConnection) await nc.close().catch(() => undefined);
      this.#nc = undefined;
      this.#state = "stopped";
      throw err;
    }
    this.#state = "started";
    this.#watch(nc);
    this.resetAll();
    this.#logger.info(`res: service "${this.name}" listening for requests`);
    this.#options.onServe?.(this);
  }

  /**
   * Stops gracefully: stops taking requests (draining the subscriptions), waits for
   * queued and running handlers (at most `closeTimeout`), ends query event windows,
   * and drains the connection when the service opened it (a connection passed to
   * `serve` is flushed and left open).
   */
  close(): Promise<void> {
    if (this.#state === "stopped") return Promise.resolve();
    this.#closing ??= this.#close().finally(() => (this.#closing = undefined));
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = "stopping";
    this.#stopWatching?.();
    this.#stopWatching = undefined;
    const nc = this.#nc;
    await Promise.all(this.#subs.map((s) => s.drain().catch(() => undefined)));
    this.#subs = [];
    await this.#waitIdle();
    this.#endQueryWindows();
    if (nc) {
      if (this.#ownsConnection) await nc.drain().catch(() => undefined);
      else if (!nc.isClosed()) await nc.flush().catch(() => undefined);
    }
    this.#nc = undefined;
    this.#state = "stopped";
    this.#logger.info(`res: service "${this.name}" stopped`);
  }

  async #waitIdle(): Promise<void> {
    const ms = this.#options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), ms);
    });
    const done = await Promise.race([this.#queues.idle().then(() => false), timedOut]);
    clearTimeout(timer);
    if (done) this.#reportError(`close: handlers still running after ${ms} ms`);
  }

  #endQueryWindows(): void {
    for (const w of this.#queryWindows) {
      clearTimeout(w.timer);
      w.sub.unsubscribe();
    }
    this.#queryWindows.clear();
  }

  #watch(nc: NatsConnection): void {
    const statuses = nc.status()[Symbol.asyncIterator]();
    let watching = true;
    this.#stopWatching = () => {
      watching = false;
      void statuses.return?.();
    };
    const watchStatus = async (): Promise<void> => {
      for (let r = await statuses.next(); !r.done && watching; r = await statuses.next()) {
        const s = r.value;
        if (s.type === "disconnect") {
          this.#logger.info("res: disconnected from NATS");
          this.#options.onDisconnect?.(this);
        } else if (s.type === "reconnect") {
          this.#logger.info("res: reconnected to NATS; sending system.reset");
          if (this.#state === "started") this.resetAll();
          this.#options.onReconnect?.(this);
        }
      }
    };
    watchStatus().catch((err: unknown) => this.#reportError("status watcher failed", err));
    nc.closed()
      .then((err) => {
        if (!watching || this.#state !== "started") return;
        this.#reportError("NATS connection closed", err);
        this.#stopWatching?.();
        this.#subs = [];
        this.#endQueryWindows();
        this.#nc = undefined;
        this.#state = "stopped";
      })
      .catch(() => undefined);
  }

  // ---- system and connection events --------------------------------------------

  /**
   * Sends `system.reset` for the service's own resources (and access, when it has
   * access handlers). Done automatically on serve and on every reconnect.
   */
  resetAll(): void {
    const { resources, access } = this.#ownership();
    this.reset(resources, access);
  }

  /**
   * Sends `system.reset`: gateways get the resources matching `resources` again, and
   * check access again for those matching `access`. Nothing is sent when both are empty.
   */
  reset(resources: readonly string[], access: readonly string[] = []): void {
    checkPatterns(resources);
    checkPatterns(access);
    if (resources.length === 0 && access.length === 0) return;
    const payload: { resources?: readonly string[]; access?: readonly string[] } = {};
    if (resources.length > 0) payload.resources = resources;
    if (access.length > 0) payload.access = access;
    this.#publish("system.reset", JSON.stringify(payload));
  }

  /**
   * Sets the access token of connection `cid` (`conn.<cid>.token`); null clears it.
   * `tid` identifies the token for {@link Service.tokenReset}.
   */
  tokenEvent(cid: string, token: unknown, tid?: string): void {
    if (!isValidPart(cid)) throw new Error(`res: invalid connection ID "${cid}"`);
    this.#publish(`conn.${cid}.token`, encodeTokenEvent(token, tid));
  }

  /**
   * Sends `system.tokenReset`: gateways send an auth request to `subject` for every
   * connection whose token has one of the token IDs. Nothing is sent without IDs.
   */
  tokenReset(subject: string, tids: readonly string[]): void {
    if (!isValidRid(subject, false))
      throw new Error(`res: invalid token reset subject "${subject}"`);
    if (tids.length === 0) return;
    this.#publish("system.tokenReset", JSON.stringify({ tids, subject }));
  }

  // ---- resource events -------------------------------------------------------------

  /**
   * The resource `rid` (which may have a query), matched with its handler. Throws when
   * no handler matches. Use it from the resource's queue (see {@link Service.with}).
   */
  resource(rid: string): Resource {
    if (!isValidRid(rid, true)) throw new Error(`res: invalid resource ID "${rid}"`);
    const { name, query } = splitRid(rid);
    const m = this.match(name);
    if (!m) throw new Error(`res: no handler matches "${name}"`);
    return new Resource({
      core: this.#core,
      resourceName: name,
      query,
      pathParams: m.pathParams,
      handler: m.handler,
      group: m.group,
    });
  }

  /**
   * Runs `fn` with the resource `rid` on the resource's queue: after every request and
   * event of it queued before, and before any queued after (go-res's With). From within
   * the same queue (a handler of the resource), `fn` runs at once.
   */
  with<T>(rid: string, fn: (resource: Resource) => T | Promise<T>): Promise<T> {
    let res: Resource;
    try {
      res = this.resource(rid);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.#queues.run(res.group, () => fn(res));
  }

  /** Sends a model change event for `rid` on its queue (see {@link Resource.changeEvent}). */
  change<T extends ChangeOf<T>>(rid: string, values: T): Promise<void> {
    return this.with(rid, (r) => r.changeEvent(values));
  }

  /** Sends a collection add event for `rid` on its queue. */
  add(rid: string, idx: number, value: Value): Promise<void> {
    return this.with(rid, (r) => r.addEvent(idx, value));
  }

  /** Sends a collection remove event for `rid` on its queue. */
  remove(rid: string, idx: number): Promise<void> {
    return this.with(rid, (r) => r.removeEvent(idx));
  }

  /** Sends a custom event for `rid` on its queue. */
  event(rid: string, name: string, payload?: unknown): Promise<void> {
    return this.with(rid, (r) => r.event(name, payload));
  }

  /** Sends a reaccess event for `rid` on its queue. */
  reaccess(rid: string): Promise<void> {
    return this.with(rid, (r) => r.reaccessEvent());
  }

  /** Sends a create event for `rid` on its queue. */
  create(rid: string, data?: unknown): Promise<void> {
    return this.with(rid, (r) => r.createEvent(data));
  }

  /** Sends a delete event for `rid` on its queue. */
  delete(rid: string): Promise<void> {
    return this.with(rid, (r) => r.deleteEvent());
  }

  /**
   * Sends a query event for `rid` on its queue (see {@link Resource.queryEvent}):
   * `handler` answers the gateways' query requests, on the same queue, for
   * `queryEventDuration` ms. Resolves once the event is sent.
   */
  queryEvent(rid: string, handler: QueryHandler<AnyParams>): Promise<void> {
    return this.with(rid, (r) => r.queryEvent(handler));
  }

  // ---- internals ------------------------------------------------------------

  #ownership(): { resources: readonly string[]; access: readonly string[] } {
    const all = this.name === "" ? [">"] : [`${this.name}.>`];
    const withRoot = this.name !== "" && this.hasRootHandler() ? [this.name, ...all] : all;
    const resources =
      this.#resetResources ??
      (this.someHandler(
        (h) =>
          h.get !== undefined ||
          h.call !== undefined ||
          h.auth !== undefined ||
          h.new !== undefined,
      )
        ? withRoot
        : []);
    const access =
      this.#resetAccess ?? (this.someHandler((h) => h.access !== undefined) ? withRoot : []);
    return { resources, access };
  }

  #publish(subject: string, payload?: string): void {
    const nc = this.#nc;
    if (!nc || this.#state === "stopped") {
      this.#reportError(`cannot send ${subject}: service not serving`);
      return;
    }
    try {
      nc.publish(subject, payload);
    } catch (err) {
      this.#reportError(`failed to send ${subject}`, err);
    }
  }

  #reportError(message: string, err?: unknown): void {
    const detail =
      err === undefined
        ? ""
        : `: ${err instanceof Error ? (err.stack ?? err.message) : safeString(err)}`;
    this.#logger.error(`res: ${message}${detail}`);
    this.#options.onError?.(message, err);
  }

  #responder(msg: Msg): Responder {
    return {
      subject: msg.subject,
      respond: (payload) => {
        try {
          msg.respond(payload);
        } catch (err) {
          this.#reportError(`failed to respond to ${msg.subject}`, err);
        }
      },
    };
  }

  #onRequest(err: Error | null, msg: Msg): void {
    if (err) {
      this.#reportError("subscription error", err);
      return;
    }
    const subject = msg.subject;
    if (!msg.reply) {
      this.#reportError(`missing reply subject on request ${subject}`);
      return;
    }
    const dot = subject.indexOf(".");
    const type = subject.slice(0, dot);
    let resourceName = subject.slice(dot + 1);
    let method = "";
    if (type === "call" || type === "auth") {
      const i = resourceName.lastIndexOf(".");
      if (i <= 0) {
        this.#reportError(`invalid request subject ${subject}`);
        return;
      }
      method = resourceName.slice(i + 1);
      resourceName = resourceName.slice(0, i);
    } else if (type !== "access" && type !== "get") {
      this.#reportError(`unknown request type in ${subject}`);
      return;
    }
    const responder = this.#responder(msg);
    const m = this.match(resourceName);
    if (!m) {
      responder.respond(JSON.stringify({ error: Errors.notFound() }));
      return;
    }
    const request = { type, resourceName, method, match: m, responder, data: msg.data };
    this.#queues
      .run(m.group, () => this.#process(request))
      .catch((e: unknown) => this.#reportError(`failed to handle ${subject}`, e));
  }

  async #process(q: {
    type: string;
    resourceName: string;
    method: string;
    match: Match;
    responder: Responder;
    data: Uint8Array;
  }): Promise<void> {
    let payload: RequestPayload = {};
    if (q.data.length > 0) {
      try {
        payload = parsePayload(JSON.parse(decoder.decode(q.data)));
      } catch (err) {
        this.#reportError(`invalid request payload on ${q.responder.subject}`, err);
        q.responder.respond(
          JSON.stringify({
            error: new ResError(ErrorCode.internalError, "Internal error: invalid request payload"),
          }),
        );
        return;
      }
    }
    const init: RequestInit<AnyParams> = {
      core: this.#core,
      resourceName: q.resourceName,
      query: payload.query ?? "",
      pathParams: q.match.pathParams,
      handler: q.match.handler,
      group: q.match.group,
      responder: q.responder,
      payload,
      method: q.method,
    };
    const selected = selectHandler(q.type, q.method, q.match.handler, init);
    if (selected === undefined) return;
    if (selected instanceof ResError) {
      q.responder.respond(JSON.stringify({ error: selected }));
      return;
    }
    const { request, run } = selected;
    try {
      await run();
    } catch (err) {
      if (err instanceof ResError) {
        if (request.replied)
          this.#reportError(`error thrown after response on ${q.responder.subject}`, err);
        else request.error(err);
      } else {
        this.#reportError(`handler for ${q.responder.subject} failed`, err);
        if (!request.replied) request.error(Errors.internalError());
      }
    }
    if (!request.replied) {
      this.#reportError(`missing response on ${q.responder.subject}`);
      request.error(missingResponse());
    }
  }

  #startQueryEvent(resourceName: string, handler: QueryHandler<AnyParams>): void {
    const nc = this.#nc;
    const m = this.match(resourceName);
    if (!nc || !m || this.#state === "stopped") {
      this.#reportError(`cannot send query event for ${resourceName}: service not serving`);
      return;
    }
    const subject = createInbox();
    const window: QueryWindow = {
      sub: nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return;
          this.#queues
            .run(m.group, () => this.#processQuery(resourceName, m, handler, msg))
            .catch((e: unknown) => this.#reportError("failed to handle query request", e));
        },
      }),
      timer: undefined,
    };
    this.#queryWindows.add(window);
    window.timer = setTimeout(() => {
      this.#queryWindows.delete(window);
      window.sub.unsubscribe();
    }, this.#options.queryEventDuration ?? DEFAULT_QUERY_EVENT_DURATION);
    window.timer.unref();
    this.#publish(`event.${resourceName}.query`, JSON.stringify({ subject }));
  }

  async #processQuery(
    resourceName: string,
    m: Match,
    handler: QueryHandler<AnyParams>,
    msg: Msg,
  ): Promise<void> {
    const responder = this.#responder(msg);
    let query: string;
    try {
      const v: unknown = msg.data.length > 0 ? JSON.parse(decoder.decode(msg.data)) : null;
      query = parsePayload(v).query ?? "";
    } catch {
      query = "";
    }
    if (query === "") {
      this.#reportError(`missing query on query request for ${resourceName}`);
      responder.respond(
        JSON.stringify({
          error: new ResError(ErrorCode.internalError, "Internal error: missing query"),
        }),
      );
      return;
    }
    const qr = new QueryRequest<AnyParams>(
      {
        core: this.#core,
        resourceName,
        query,
        pathParams: m.pathParams,
        handler: m.handler,
        group: m.group,
      },
      responder,
    );
    try {
      await handler(qr);
    } catch (err) {
      if (!(err instanceof ResError))
        this.#reportError(`query handler for ${resourceName} failed`, err);
      if (!qr.replied) qr.error(err instanceof ResError ? err : Errors.internalError());
    }
    qr.finish();
  }

  async #value(resource: Resource): Promise<ResourceValue> {
    const m = this.match(resource.resourceName);
    const get = m?.handler.get;
    if (!m || !get) throw new Error(`res: no get handler for ${resource.resourceName}`);
    const capture: ValueCapture = {};
    const req = new GetRequest<AnyParams>(
      {
        core: this.#core,
        resourceName: resource.resourceName,
        query: resource.query,
        pathParams: m.pathParams,
        handler: m.handler,
        group: m.group,
        responder: undefined,
        payload: resource.query === "" ? {} : { query: resource.query },
      },
      capture,
    );
    await get(req);
    if (capture.error) throw capture.error;
    if (!capture.value)
      throw new Error(`res: get handler for ${resource.resourceName} sent no value`);
    return capture.value;
  }
}

/**
 * The request object and handler call for a request, a ResError to answer at once, or
 * undefined to leave the request unanswered (access requests without a handler are
 * left to whichever service handles access).
 */
function selectHandler(
  type: string,
  method: string,
  h: Handler<AnyParams>,
  init: RequestInit<AnyParams>,
): { request: Request; run: () => HandlerResult } | ResError | undefined {
  switch (type) {
    case "access": {
      const access = h.access;
      if (!access) return undefined;
      const request = new AccessRequest(init);
      return { request, run: () => access(request) };
    }
    case "get": {
      const get = h.get;
      if (!get) return Errors.notFound();
      const request = new GetRequest(init);
      return { request, run: () => get(request) };
    }
    case "call": {
      const neu = h.new;
      if (method === "new" && neu) {
        const request = new NewRequest(init);
        return { request, run: () => neu(request) };
      }
      const call = lookupMethod(h.call, method);
      if (!call) return Errors.methodNotFound();
      const request = new CallRequest(init);
      return { request, run: () => call(request) };
    }
    case "auth": {
      const auth = lookupMethod(h.auth, method);
      if (!auth) return Errors.methodNotFound();
      const request = new AuthRequest(init);
      return { request, run: () => auth(request) };
    }
    default:
      return undefined;
  }
}

/** The handler of a method (own properties only), or of `"*"`. */
function lookupMethod<T>(
  methods: Readonly<Record<string, T>> | undefined,
  method: string,
): T | undefined {
  if (!methods) return undefined;
  if (Object.hasOwn(methods, method)) return methods[method];
  return Object.hasOwn(methods, "*") ? methods["*"] : undefined;
}

/** A readable string for anything thrown. */
function safeString(v: unknown): string {
  try {
    return typeof v === "string" ? v : JSON.stringify(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** Validates resource name patterns (throws on an invalid one). */
function checkPatterns(patterns: readonly string[] | undefined): readonly string[] | undefined {
  if (patterns === undefined) return undefined;
  for (const p of patterns) {
    if (!ResourcePattern.parse(p)) throw new Error(`res: invalid resource pattern "${p}"`);
  }
  return [...patterns];
}

/**
 * The subjects to subscribe to for the owned patterns: `get.<p>`, `call.<p>.*` and
 * `auth.<p>.*` (or `call.<p>` when p ends with `>`), and `access.<p>`, leaving out
 * subjects covered by another.
 */
export function requestSubjects(resources: readonly string[], access: readonly string[]): string[] {
  const subjects = new Set<string>();
  for (const p of resources) {
    const m = p.endsWith(">") ? p : `${p}.*`;
    subjects.add(`get.${p}`);
    subjects.add(`call.${m}`);
    subjects.add(`auth.${m}`);
  }
  for (const p of access) subjects.add(`access.${p}`);
  const list = [...subjects];
  return list.filter((s) => !list.some((o) => o !== s && subjectCovers(o, s)));
}
