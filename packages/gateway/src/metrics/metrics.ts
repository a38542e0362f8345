/**
 * The gateway's metrics (-m/--metricsport), in OpenMetrics text with prom-client:
 * Resgate 1.8's metric names and labels (server/metrics/metrics.go), our own
 * latency, state and disconnect metrics, and Node's process metrics.
 */
import { PROTOCOL_VERSION } from "@resgate-ts/protocol";
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type Counter as CounterType,
  type OpenMetricsContentType,
} from "prom-client";
import type { BusStatus, MessageBus, ReplyHandler } from "../bus/bus.js";
import { GATEWAY_VERSION } from "../constants.js";

/** What the cache gauges are read from at scrape time. */
export interface CacheStats {
  /** Resource names cached. */
  readonly size: number;
  /** Uses of cached resource names by subscriptions and requests in flight. */
  subscriptionCount(): number;
}

/** Request types the NATS latency histogram tells apart (the subject's first token). */
const REQUEST_TYPES = new Set(["access", "get", "call", "auth"]);

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export class GatewayMetrics {
  readonly registry = new Registry<OpenMetricsContentType>();

  readonly wsCurrentConnections: Gauge;
  readonly wsConnections: Counter;
  readonly wsRequestsGet: CounterType.Internal;
  readonly wsRequestsSubscribe: CounterType.Internal;
  readonly wsRequestsUnsubscribe: CounterType.Internal;
  readonly wsRequestsCall: CounterType.Internal;
  readonly wsRequestsAuth: CounterType.Internal;
  private readonly httpRequests: Counter<"method">;
  readonly slowConsumerDisconnects: Counter;
  private readonly fanout: Histogram;
  private readonly natsRequests: Histogram<"type">;
  private readonly natsState: Gauge;
  private cache: CacheStats | undefined;

  constructor() {
    this.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const registers = [this.registry];
    this.wsCurrentConnections = new Gauge({
      name: "resgate_ws_current_connections",
      help: "Current established WebSocket connections.",
      registers,
    });
    this.wsConnections = new Counter({
      name: "resgate_ws_connections",
      help: "Total established WebSocket connections.",
      registers,
    });
    const wsRequests = new Counter({
      name: "resgate_ws_requests",
      help: "Total WebSocket client requests.",
      labelNames: ["method"] as const,
      registers,
    });
    this.wsRequestsGet = wsRequests.labels("get");
    this.wsRequestsSubscribe = wsRequests.labels("subscribe");
    this.wsRequestsUnsubscribe = wsRequests.labels("unsubscribe");
    this.wsRequestsCall = wsRequests.labels("call");
    this.wsRequestsAuth = wsRequests.labels("auth");
    for (const m of ["get", "subscribe", "unsubscribe", "call", "auth"])
      wsRequests.labels(m).inc(0);
    this.httpRequests = new Counter({
      name: "resgate_http_requests",
      help: "Total HTTP client requests.",
      labelNames: ["method"] as const,
      registers,
    });
    this.httpRequests.labels("GET").inc(0);
    this.httpRequests.labels("POST").inc(0);
    const stats = () => this.cache;
    new Gauge({
      name: "resgate_cache_resources",
      help: "Current number of resources stored in the cache.",
      registers,
      collect() {
        this.set(stats()?.size ?? 0);
      },
    });
    new Gauge({
      name: "resgate_cache_subscriptions",
      help: "Current number of subscriptions on cached resources.",
      registers,
      collect() {
        this.set(stats()?.subscriptionCount() ?? 0);
      },
    });
    this.slowConsumerDisconnects = new Counter({
      name: "resgate_ws_slow_consumer_disconnects",
      help: "WebSocket clients cut off for not reading what was sent to them.",
      registers,
    });
    this.fanout = new Histogram({
      name: "resgate_event_fanout_seconds",
      help: "Time from a service event's arrival to its hand-over to every subscriber.",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.natsRequests = new Histogram({
      name: "resgate_nats_request_duration_seconds",
      help: "Time from a NATS request to its reply (or timeout), by request type.",
      labelNames: ["type"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.natsState = new Gauge({
      name: "resgate_nats_connected",
      help: "1 while the gateway is connected to NATS, 0 while it is reconnecting.",
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Reads the cache gauges from `cache` from now on. */
  watchCache(cache: CacheStats): void {
    this.cache = cache;
  }

  /** Counts an HTTP API request by method. */
  countHttp(method: string): void {
    this.httpRequests.labels(method).inc();
  }

  /** Records an event's fan-out time, from its arrival (a performance.now() value). */
  observeFanout(startMs: number): void {
    this.fanout.observe((performance.now() - startMs) / 1000);
  }

  /** Tracks the NATS connection state from a bus's status changes. */
  watchBus(bus: MessageBus): void {
    this.natsState.set(1);
    bus.onStatus((s: BusStatus) => {
      if (s === "disconnected" || s === "closed") this.natsState.set(0);
      else this.natsState.set(1);
    });
  }

  /** A bus that records the latency of every request sent through it. */
  meteredBus(bus: MessageBus): MessageBus {
    const hist = this.natsRequests;
    const children = new Map<string, Histogram.Internal<"type">>();
    for (const t of [...REQUEST_TYPES, "other"]) children.set(t, hist.labels(t));
    return {
      request(subject: string, payload: string, onReply: ReplyHandler): void {
        const dot = subject.indexOf(".");
        const type = dot > 0 ? subject.slice(0, dot) : subject;
        const child = children.get(REQUEST_TYPES.has(type) ? type : "other");
        const start = performance.now();
        bus.request(subject, payload, (err, data) => {
          child?.observe((performance.now() - start) / 1000);
          onReply(err, data);
        });
      },
      subscribe: (subject, handler) => bus.subscribe(subject, handler),
      publish: (subject, payload) => bus.publish(subject, payload),
      onStatus: (listener) => bus.onStatus(listener),
      close: () => bus.close(),
    };
  }

  /** The OpenMetrics text, with Resgate's info metric first. */
  async text(): Promise<string> {
    const body = await this.registry.metrics();
    return (
      "# HELP resgate Information about resgate.\n" +
      "# TYPE resgate info\n" +
      `resgate_info{version="${GATEWAY_VERSION}",protocol="${PROTOCOL_VERSION}"} 1\n` +
      body
    );
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
