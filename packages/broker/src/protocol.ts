/**
 * Wire constants of the NATS client protocol. Error texts are nats-server 2.9's, byte
 * for byte, because clients match on them (nats.js looks for "authorization
 * violation", "stale connection", ...).
 */

/** The texts this broker sends in `-ERR '<text>'`. */
export const ErrorText = {
  unknownOperation: "Unknown Protocol Operation",
  maxPayload: "Maximum Payload Violation",
  /** nats-server 2.9 sends this one in lower case. */
  maxControlLine: "maximum control line exceeded",
  authorization: "Authorization Violation",
  authTimeout: "Authentication Timeout",
  invalidSubject: "Invalid Subject",
  invalidPublishSubject: "Invalid Publish Subject",
  slowConsumer: "Slow Consumer",
  staleConnection: "Stale Connection",
  badProtocol: "invalid client protocol",
  noRespondersRequiresHeaders: "no responders requires headers support",
  headersNotSupported: "message headers not supported",
} as const;

/** The version this broker reports in INFO: the nats-server release whose client-facing behaviour it mirrors. */
export const SERVER_VERSION = "2.9.0";

export const OK = "+OK\r\n";
export const PING = "PING\r\n";
export const PONG = "PONG\r\n";

/** The full no-responders status message (header "NATS/1.0 503" and an empty body). */
export function noRespondersFrame(reply: string, sid: string): string {
  return `HMSG ${reply} ${sid} 16 16\r\nNATS/1.0 503\r\n\r\n\r\n`;
}

export function errFrame(text: string): string {
  return `-ERR '${text}'\r\n`;
}
