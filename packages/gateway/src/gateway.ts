/**
 * Wires the gateway together and runs its lifecycle: bus → cache → HTTP/WebSocket
 * on start, the reverse on stop (Resgate's service.go).
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TlsOptions } from "@nats-io/transport-node";
import type { Broker } from "@resgate-ts/broker";
import type { Logger } from "pino";
import type { MessageBus } from "./bus/bus.js";
import { NatsBus } from "./bus/nats-bus.js";
import { Cache } from "./cache/cache.js";
import { natsServers, type Config } from "./config.js";
import {
  GATEWAY_VERSION,
  SHUTDOWN_TIMEOUT_MS,
  SSE_HEARTBEAT_MS,
  UNSUBSCRIBE_DELAY_MS,
} from "./constants.js";
import { Cors, allowMethods, parseAllowOrigin } from "./http/cors.js";
import { apiEncoder } from "./http/rest-encoding.js";
import { createLogger } from "./log.js";
import type { GatewayMetrics } from "./metrics/metrics.js";
import type { MetricsServer } from "./metrics/server.js";
import { GatewayHttpServer } from "./ws/http-server.js";

/** The embedded broker on NATS' default address, or a free port when that is taken. */
async function startEmbeddedBroker(): Promise<Broker> {
  // Loaded only when used: start-up time matters, and most gateways use nats-server.
  const { Broker } = await import("@resgate-ts/broker");
  try {
    return await Broker.start({ host: "127.0.0.1", port: 4222 });
  } catch {
    return Broker.start({ host: "127.0.0.1", port: 0 });
  }
}

/**
 * TLS options towards NATS: --natscert/--natskey as a client certificate, and every
 * --natsrootca file as a trusted root. Undefined when none is set.
 */
function natsTls(c: Config): TlsOptions | undefined {
  if (c.natsCert === "" && c.natsRootCAs.length === 0) return undefined;
  const tls: TlsOptions = {};
  if (c.natsCert !== "") {
    tls.certFile = c.natsCert;
    tls.keyFile = c.natsKey;
  }
  if (c.natsRootCAs.length > 0) {
    tls.ca = c.natsRootCAs.map((f) => readFileSync(f, "utf8")).join("\n");
  }
  return tls;
}

/** "a.b.method" as its resource and method. */
function splitMethod(s: string | null): { rid: string; method: string } | undefined {
  if (s === null) return undefined;
  const i = s.lastIndexOf(".");
  return { rid: s.slice(0, i), method: s.slice(i + 1) };
}

export interface GatewayOptions {
  /** A bus to use instead of connecting to NATS (tests, embedding). */
  bus?: MessageBus;
  logger?: Logger;
  /** How long unused resources stay cached (default 5 s, as Resgate). */
  unsubscribeDelayMs?: number;
  /** Bytes of cached values above which unused resources leave at once (CACHE_BUDGET_BYTES). */
  cacheBudgetBytes?: number;
  /** Bytes queued for one client before it is cut off (default: config.maxOutgoingBytes). */
  maxOutgoingBytes?: number;
  /**
   * Start the embedded broker and connect to it instead of config.natsUrl. It listens
   * on 127.0.0.1:4222 when that port is free (so that services find it at NATS'
   * default address), otherwise on a free port; `broker.url` tells which.
   */
  embedded?: boolean;
  /** Extra HTTP routes served by the gateway (the demo page); true when answered. */
  pages?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Interval of event-stream heartbeat comments (default SSE_HEARTBEAT_MS). */
  sseHeartbeatMs?: number;
}

export class Gateway {
  readonly log: Logger;
  private bus: MessageBus | undefined;
  private cache: Cache | undefined;
  private http: GatewayHttpServer | undefined;
  /** The embedded broker, when the gateway runs one. */
  broker: Broker | undefined;
  private metrics: GatewayMetrics | undefined;
  private metricsServer: MetricsServer | undefined;

  constructor(
    readonly config: Config,
    private readonly opts: GatewayOptions = {},
  ) {
    this.log = opts.logger ?? createLogger(config);
  }

  /** Connects to NATS and starts listening for clients. */
  async start(): Promise<void> {
    const c = this.config;
    this.log.info(`Starting resgate-ts version ${GATEWAY_VERSION}`);
    let servers = natsServers(c);
    if (this.opts.embedded) {
      this.broker = await startEmbeddedBroker();
      servers = [this.broker.url];
      this.log.info(
        `Embedded NATS broker listening on ${this.broker.url} (for development; use nats-server or a NATS cluster in production)`,
      );
    }
    if (this.opts.bus) {
      this.bus = this.opts.bus;
    } else {
      this.log.info(`Connecting to NATS at ${servers.join(",")}`);
      this.bus = await NatsBus.connect({
        servers,
        requestTimeoutMs: c.requestTimeout,
        logger: this.log,
        creds: c.natsCreds === "" ? undefined : readFileSync(c.natsCreds),
        tls: natsTls(c),
      });
    }
    if (c.metricsPort !== 0) {
      // prom-client is loaded only when metrics are asked for (start-up time).
      const { GatewayMetrics } = await import("./metrics/metrics.js");
      this.metrics = new GatewayMetrics();
      this.metrics.watchBus(this.bus);
      this.bus = this.metrics.meteredBus(this.bus);
    }
    const metrics = this.metrics;
    this.bus.onStatus((status, detail) => {
      if (status === "disconnected") {
        this.log.warn({ server: detail }, "lost NATS connection; clients stay connected");
      } else if (status === "reconnected") {
        this.log.info({ server: detail }, "reconnected to NATS");
        // Events sent while we were away are lost: get everything again.
        this.cache?.resynchronize();
      }
    });
    this.cache = new Cache({
      bus: this.bus,
      log: this.log,
      unsubscribeDelayMs: this.opts.unsubscribeDelayMs ?? UNSUBSCRIBE_DELAY_MS,
      resetThrottle: c.resetThrottle,
      onFanout: metrics ? (start) => metrics.observeFanout(start) : undefined,
      ...(this.opts.cacheBudgetBytes === undefined
        ? {}
        : { budgetBytes: this.opts.cacheBudgetBytes }),
    });
    this.cache.start();
    metrics?.watchCache(this.cache);
    const tls = c.tls
      ? { cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) }
      : undefined;
    this.http = new GatewayHttpServer({
      tls,
      wsCompression: c.wsCompression,
      wsPath: c.wsPath,
      apiPath: c.apiPath,
      encoder: apiEncoder(c.apiEncoding, c.apiPath),
      cors: new Cors(parseAllowOrigin(c.allowOrigin), c.headerAuth !== null, allowMethods(c)),
      rest: {
        headerAuth: splitMethod(c.headerAuth),
        methods: { PUT: c.putMethod, DELETE: c.deleteMethod, PATCH: c.patchMethod },
        count: metrics ? (method) => metrics.countHttp(method) : undefined,
        sse: {
          heartbeatMs: this.opts.sseHeartbeatMs ?? SSE_HEARTBEAT_MS,
          maxBufferedBytes: this.opts.maxOutgoingBytes ?? c.maxOutgoingBytes,
        },
        onSlowConsumer: () => {
          this.log.warn("slow event-stream consumer disconnected");
          metrics?.slowConsumerDisconnects.inc();
        },
      },
      wsHeaderAuth: splitMethod(c.wsHeaderAuth),
      maxOutgoingBytes: this.opts.maxOutgoingBytes ?? c.maxOutgoingBytes,
      maxFrameBytes: c.maxFrameBytes,
      pages: this.opts.pages,
      log: this.log,
      context: {
        cache: this.cache,
        log: this.log,
        referenceThrottle: c.referenceThrottle,
        maxRequestsInFlight: c.maxRequestsInFlight,
        metrics,
      },
    });
    await this.http.listen(c.port, c.addr);
    const addr = this.address();
    const scheme = tls ? "https" : "http";
    this.log.info(`Listening on ${scheme}://${addr.address}:${addr.port}`);
    if (metrics) {
      const { MetricsServer } = await import("./metrics/server.js");
      this.metricsServer = new MetricsServer(metrics, this.log, tls);
      await this.metricsServer.listen(c.metricsPort, c.addr);
      const m = this.metricsAddress();
      this.log.info(`Metrics endpoint listening on ${scheme}://${m?.address}:${m?.port}/metrics`);
    }
    this.log.info("Server ready");
  }

  /** The address the HTTP server listens on. */
  address(): AddressInfo {
    const a = this.http?.server.address();
    if (!a || typeof a === "string") throw new Error("gateway is not listening");
    return a;
  }

  /** The address the metrics server listens on, when metrics are on. */
  metricsAddress(): AddressInfo | undefined {
    const a = this.metricsServer?.server.address();
    return a && typeof a !== "string" ? a : undefined;
  }

  /** Number of resource names in the cache (for tests and metrics). */
  get cachedResources(): number {
    return this.cache?.size ?? 0;
  }

  /** Bytes of cached values let go of since start (a hint for the idle collector). */
  get releasedCacheBytes(): number {
    return this.cache?.releasedBytes ?? 0;
  }

  /** Whether a resource name is in the cache (for tests). */
  isCached(name: string): boolean {
    return this.cache?.has(name) ?? false;
  }

  /** Number of open WebSocket connections. */
  get connections(): number {
    return this.http?.connections ?? 0;
  }

  /** Closes client connections, then the cache and NATS, each within a bounded time. */
  async stop(): Promise<void> {
    this.log.info("Stopping server...");
    await this.http?.close(SHUTDOWN_TIMEOUT_MS);
    await this.metricsServer?.close();
    // The bus first: closing it fails pending requests, whose handlers may still
    // touch the cache; the cache then clears whatever they scheduled.
    if (this.bus && !this.opts.bus) {
      await Promise.race([
        this.bus.close(),
        new Promise((r) => setTimeout(r, SHUTDOWN_TIMEOUT_MS).unref()),
      ]);
    }
    this.cache?.stop();
    await this.broker?.close();
    this.log.info("Server stopped");
  }
}
