/**
 * A single-node broker speaking the NATS client protocol: enough of nats-server for
 * resgate-ts to run with no nats-server installed (tests, development, the embedded
 * default). Production deployments use nats-server or a NATS cluster.
 */
import { createServer, isIPv6, type Server, type Socket } from "node:net";
import {
  Client,
  OutMsg,
  type ClientHost,
  type ClientLimits,
  type LogLevel,
  type MutableStats,
  type PubArgs,
  type Subscription,
} from "./client.js";
import { SERVER_VERSION, noRespondersFrame } from "./protocol.js";
import { Sublist } from "./sublist.js";

export type { LogLevel } from "./client.js";

/** Receives the broker's log lines; the default logger discards them. */
export type BrokerLogger = (level: LogLevel, msg: string) => void;

/** Options of {@link Broker.start}. Sizes are in bytes, durations in milliseconds. */
export interface BrokerOptions {
  /** Interface to listen on. Default "127.0.0.1" (not reachable from other hosts). */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from {@link Broker.port}). Default 4222. */
  port?: number;
  /** When set, clients must send this `auth_token` in CONNECT. */
  token?: string;
  /** Largest accepted message (headers + payload), announced in INFO. Default 1 MiB. */
  maxPayload?: number;
  /** Per-client outgoing backlog after which the client is cut off as a slow consumer. Default 64 MiB. */
  maxPending?: number;
  /** Longest accepted protocol line (arguments part). Default 4096. */
  maxControlLine?: number;
  /** How often an idle client is PINGed. Default 2 minutes. */
  pingInterval?: number;
  /** Unanswered PINGs after which a client is dropped as stale. Default 2. */
  maxPingsOut?: number;
  /** With a token: time allowed between connecting and CONNECT. Default 2 seconds. */
  authTimeout?: number;
  /** `server_name` in INFO. Default "resgate-ts-broker". */
  serverName?: string;
  /** Log sink; default: no logging. */
  logger?: BrokerLogger;
}

/** Counters since the broker started (see {@link Broker.stats}). */
export interface BrokerStats {
  /** Open client connections. */
  connections: number;
  /** Connections accepted since start. */
  totalConnections: number;
  /** Subscriptions currently registered. */
  subscriptions: number;
  /** Messages published by clients, and their bytes (headers + payload). */
  inMsgs: number;
  inBytes: number;
  /** Messages delivered to subscriptions, and their bytes. */
  outMsgs: number;
  outBytes: number;
  /** Clients cut off because they could not keep up. */
  slowConsumers: number;
}

const DEFAULTS = {
  host: "127.0.0.1",
  port: 4222,
  maxPayload: 1024 * 1024,
  maxPending: 64 * 1024 * 1024,
  maxControlLine: 4096,
  pingInterval: 2 * 60 * 1000,
  maxPingsOut: 2,
  authTimeout: 2000,
  serverName: "resgate-ts-broker",
} as const;

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`Broker option ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** A server id in nats-server's style (56 base32 characters starting with N). */
function makeServerId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let id = "N";
  for (let i = 0; i < 55; i++) id += alphabet[Math.floor(Math.random() * 32)] ?? "A";
  return id;
}

interface CoreConfig extends ClientLimits {
  readonly pingInterval: number;
}

/** State and routing shared by all connections; not exported, so Broker's API stays small. */
class Core implements ClientHost {
  readonly stats: MutableStats = {
    inMsgs: 0,
    inBytes: 0,
    outMsgs: 0,
    outBytes: 0,
    slowConsumers: 0,
  };
  readonly sublist = new Sublist<Subscription>();
  /** Every client whose socket is not closed yet (including closing ones). */
  readonly clients = new Set<Client>();
  openClients = 0;
  totalClients = 0;
  private nextId = 1;
  private dirty: Client[] = [];
  private flushHandle: NodeJS.Immediate | undefined;
  private readonly outMsg: OutMsg;
  /** INFO up to (excluding) client_id, built once the port is known. */
  infoPrefix = "";
  private shuttingDown = false;

  constructor(
    readonly limits: CoreConfig,
    private readonly logger: BrokerLogger,
  ) {
    this.outMsg = new OutMsg(limits.maxControlLine);
  }

  log(level: LogLevel, msg: string): void {
    try {
      this.logger(level, msg);
    } catch {
      // A failing logger must not break message flow.
    }
  }

  accept(socket: Socket): void {
    if (this.shuttingDown) {
      // Accepted just before close(): the listener's close would wait for it forever.
      socket.destroy();
      return;
    }
    socket.setNoDelay(true); // writes are already coalesced; don't add Nagle delay
    this.openClients++;
    this.totalClients++;
    const client = new Client(this.nextId++, socket, this);
    this.clients.add(client);
    this.log("debug", `${client.label}: connected`);
  }

  infoLine(client: Client): string {
    const ip = JSON.stringify(client.socket.remoteAddress ?? "");
    return `${this.infoPrefix},"client_id":${client.id},"client_ip":${ip}}\r\n`;
  }

  route(from: Client, pub: PubArgs, payload: Buffer): void {
    const stats = this.stats;
    stats.inMsgs++;
    stats.inBytes += payload.length;
    const r = this.sublist.match(pub.subject);
    let delivered = false;
    if (r.psubs.length > 0 || r.qsubs.length > 0) {
      const m = this.outMsg;
      m.reset(pub, payload);
      const noEcho = !from.echo;
      for (const sub of r.psubs) {
        if (sub.closed || (noEcho && sub.client === from)) continue;
        if (sub.client.deliver(sub, m)) delivered = true;
      }
      for (const group of r.qsubs) {
        // One member per group, picked at random; skip members that cannot take it.
        const n = group.length;
        const first = Math.floor(Math.random() * n);
        for (let k = 0; k < n; k++) {
          const sub = group[(first + k) % n];
          if (sub === undefined || sub.closed || (noEcho && sub.client === from)) continue;
          if (sub.client.deliver(sub, m)) {
            delivered = true;
            break;
          }
        }
      }
    }
    if (!delivered && pub.reply !== undefined && from.noResponders && from.headers) {
      this.sendNoResponders(from, pub.reply);
    }
  }

  /** Tells a requester nobody listens: a 503 status on its own reply subscription. */
  private sendNoResponders(to: Client, reply: string): void {
    if (to.closed) return;
    // Uncached: reply subjects are one-off and would only evict useful cache entries.
    for (const sub of this.sublist.matchUncached(reply).psubs) {
      if (sub.client === to && !sub.closed) {
        to.queueProto(noRespondersFrame(reply, sub.sid));
        return;
      }
    }
  }

  subscribe(sub: Subscription): boolean {
    return this.sublist.insert(sub);
  }

  unsubscribe(sub: Subscription): void {
    this.sublist.remove(sub);
  }

  clientClosed(client: Client, reason: string): void {
    this.openClients--;
    this.log("debug", `${client.label}: closed: ${reason}`);
  }

  socketClosed(client: Client): void {
    this.clients.delete(client);
  }

  markDirty(client: Client): void {
    this.dirty.push(client);
    // One flush per event-loop turn, after all reads of this turn were processed.
    this.flushHandle ??= setImmediate(this.flushAll);
  }

  private readonly flushAll = (): void => {
    this.flushHandle = undefined;
    const list = this.dirty;
    this.dirty = [];
    for (const client of list) {
      client.dirty = false;
      try {
        client.flush();
      } catch (err) {
        this.log("error", `${client.label}: flush failed: ${String(err)}`);
        client.close("flush failed");
      }
    }
  };

  pingAll(): void {
    for (const client of this.clients) client.pingCheck();
  }

  shutdown(): void {
    this.shuttingDown = true;
    if (this.flushHandle !== undefined) clearImmediate(this.flushHandle);
    this.flushHandle = undefined;
    for (const client of [...this.clients]) client.destroy();
  }
}

/**
 * A NATS-protocol broker listening on TCP.
 *
 * ```ts
 * const broker = await Broker.start({ port: 0 });
 * const nc = await connect({ servers: broker.url });
 * ```
 */
export class Broker {
  private closing: Promise<void> | undefined;
  private readonly pingTimer: NodeJS.Timeout;

  private constructor(
    private readonly server: Server,
    private readonly core: Core,
    /** The interface the broker listens on. */
    readonly host: string,
    /** The TCP port the broker listens on (the actual one when started with port 0). */
    readonly port: number,
  ) {
    this.pingTimer = setInterval(() => core.pingAll(), core.limits.pingInterval);
    this.pingTimer.unref();
  }

  /**
   * Starts a broker and resolves once it accepts connections. Rejects if the port
   * cannot be bound (e.g. EADDRINUSE) or an option is invalid.
   */
  static async start(opts: BrokerOptions = {}): Promise<Broker> {
    const host = opts.host ?? DEFAULTS.host;
    const port = opts.port ?? DEFAULTS.port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`Broker option port must be 0..65535, got ${port}`);
    }
    if (opts.token === "") throw new RangeError("Broker option token must not be empty");
    const limits: CoreConfig = {
      maxPayload: positiveInt("maxPayload", opts.maxPayload, DEFAULTS.maxPayload),
      maxPending: positiveInt("maxPending", opts.maxPending, DEFAULTS.maxPending),
      maxControlLine: positiveInt("maxControlLine", opts.maxControlLine, DEFAULTS.maxControlLine),
      maxPingsOut: positiveInt("maxPingsOut", opts.maxPingsOut, DEFAULTS.maxPingsOut),
      authTimeout: positiveInt("authTimeout", opts.authTimeout, DEFAULTS.authTimeout),
      pingInterval: positiveInt("pingInterval", opts.pingInterval, DEFAULTS.pingInterval),
      token: opts.token,
    };
    const core = new Core(limits, opts.logger ?? (() => undefined));
    const server = createServer({ allowHalfOpen: false, noDelay: true }, (socket) =>
      core.accept(socket),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => core.log("error", `listener error: ${err.message}`));
    const address = server.address();
    const boundPort = typeof address === "object" && address !== null ? address.port : port;
    const info: Record<string, unknown> = {
      server_id: makeServerId(),
      server_name: opts.serverName ?? DEFAULTS.serverName,
      version: SERVER_VERSION,
      proto: 1,
      host,
      port: boundPort,
      headers: true,
      max_payload: limits.maxPayload,
    };
    if (limits.token !== undefined) info["auth_required"] = true;
    // Escape non-ASCII (e.g. in serverName): control lines are written byte-per-char.
    const json = JSON.stringify(info).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    core.infoPrefix = `INFO ${json.slice(0, -1)}`;
    core.log("info", `listening on ${host}:${boundPort}`);
    return new Broker(server, core, host, boundPort);
  }

  /** The URL clients connect to, e.g. "nats://127.0.0.1:4222" (a wildcard host becomes loopback). */
  get url(): string {
    let h = this.host;
    if (h === "0.0.0.0" || h === "") h = "127.0.0.1";
    else if (h === "::") h = "::1";
    return `nats://${isIPv6(h) ? `[${h}]` : h}:${this.port}`;
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.core.openClients;
  }

  /** A snapshot of the broker's counters. */
  stats(): BrokerStats {
    const s = this.core.stats;
    return {
      connections: this.core.openClients,
      totalConnections: this.core.totalClients,
      subscriptions: this.core.sublist.count,
      inMsgs: s.inMsgs,
      inBytes: s.inBytes,
      outMsgs: s.outMsgs,
      outBytes: s.outBytes,
      slowConsumers: s.slowConsumers,
    };
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Stops listening and disconnects every client (their sockets are destroyed, so
   * nothing lingers). Resolves when the listener is closed; calling it again returns
   * the same promise.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      clearInterval(this.pingTimer);
      this.server.close(() => resolve());
      this.core.shutdown();
      this.core.log("info", "closed");
    });
    return this.closing;
  }
}
