/**
 * Structured logs with pino. -D enables debug, -V trace (every NATS and client
 * message). Tokens are never logged: they only travel inside request payloads,
 * which are logged at trace level with the `token` field redacted.
 */
import { pino, type Logger } from "pino";

export function createLogger(opts: { debug: boolean; trace: boolean }): Logger {
  const level = opts.trace ? "trace" : opts.debug ? "debug" : "info";
  return pino({
    name: "resgate-ts",
    level,
    redact: { paths: ["token", "*.token"], censor: "[redacted]" },
  });
}
