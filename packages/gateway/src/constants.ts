/**
 * Every limit and timing of the gateway, in one place (Resgate's const.go).
 */

/** The gateway's own version. */
export const GATEWAY_VERSION = "0.1.0";

/** Default address, port and paths, as Resgate. */
export const DEFAULT_ADDR = "0.0.0.0";
export const DEFAULT_PORT = 8080;
export const DEFAULT_WS_PATH = "/";
export const DEFAULT_API_PATH = "/api/";
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
export const DEFAULT_REQUEST_TIMEOUT_MS = 3000;

/** Direct subscriptions one connection may hold on one resource (Resgate: 256). */
export const SUBSCRIPTION_COUNT_LIMIT = 256;

/** How long an unused resource stays cached, with its NATS subscription (Resgate: 5 s). */
export const UNSUBSCRIBE_DELAY_MS = 5000;

/**
 * NATS refuses a control line (`PUB <subject> <reply> <size>`) longer than this
 * (nats-server's default max_control_line). Exceeding it makes the server drop the
 * whole connection, so requests and subscriptions are checked before they are sent.
 */
export const NATS_MAX_CONTROL_LINE = 4096;

/** Requests one connection may have in flight; beyond it the socket is not read. */
export const MAX_REQUESTS_IN_FLIGHT = 64;

/** Largest WebSocket message accepted from a client; a larger one closes with 1009. */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024 * 1024;

/** Outgoing bytes one connection may have queued before it is cut off as too slow. */
export const MAX_OUTGOING_BYTES = 32 * 1024 * 1024;

/** Close code sent to a client that does not read fast enough (1008: policy violation). */
export const CLOSE_SLOW_CONSUMER = 1008;

/** Time a cut-off slow client gets to read what was queued and the close frame. */
export const SLOW_CONSUMER_GRACE_MS = 5000;

/** Interval of WebSocket pings; a peer that misses one whole interval is dropped. */
export const WS_HEARTBEAT_MS = 30_000;

/** Time given to WebSocket connections and NATS to close on shutdown (Resgate: 3 s each). */
export const SHUTDOWN_TIMEOUT_MS = 3000;

/**
 * A reset get that finds no service listening is retried this many times, this far
 * apart, before its error is handled (services may reconnect after the gateway).
 */
export const RESET_RETRIES = 20;
export const RESET_RETRY_DELAY_MS = 500;

/**
 * Largest service reply or event payload the gateway accepts (the default NATS
 * max_payload is 1 MiB). A larger reply is answered with system.internalError and
 * never cached; a larger event is dropped and logged.
 */
export const MAX_SERVICE_PAYLOAD_BYTES = 8 * 1024 * 1024;

/** Largest HTTP API request body read (a call's parameters); a larger one is a 400. */
export const MAX_HTTP_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Largest HTTP API response body built. References shared across a resource tree
 * are encoded once per place they appear (as Resgate does), so a service could make
 * a response grow without bound; past this size it is a system.internalError.
 */
export const MAX_HTTP_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Interval of the comments that keep an idle server-sent event stream open through proxies. */
export const SSE_HEARTBEAT_MS = 15_000;

/**
 * Bytes of cached resource values above which a resource nobody uses leaves the cache
 * at once instead of after UNSUBSCRIBE_DELAY_MS.
 */
export const CACHE_BUDGET_BYTES = 128 * 1024 * 1024;
