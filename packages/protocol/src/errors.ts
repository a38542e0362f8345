import { isNull, member, readObject, readString } from "./json-raw.js";

/**
 * RES error codes and the one error type every layer uses.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-protocol.md#error-object
 */

/** Pre-defined RES error codes (`system.*`). */
export const ErrorCode = {
  accessDenied: "system.accessDenied",
  internalError: "system.internalError",
  invalidParams: "system.invalidParams",
  invalidQuery: "system.invalidQuery",
  methodNotFound: "system.methodNotFound",
  noSubscription: "system.noSubscription",
  notFound: "system.notFound",
  timeout: "system.timeout",
  invalidRequest: "system.invalidRequest",
  unsupportedProtocol: "system.unsupportedProtocol",
  subjectTooLong: "system.subjectTooLong",
  deleted: "system.deleted",
  subscriptionLimitExceeded: "system.subscriptionLimitExceeded",
  // HTTP only
  badRequest: "system.badRequest",
  methodNotAllowed: "system.methodNotAllowed",
  serviceUnavailable: "system.serviceUnavailable",
  forbidden: "system.forbidden",
  notImplemented: "system.notImplemented",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The wire shape of a RES error: `{code, message, data?}`. */
export interface ErrorObject {
  code: string;
  message: string;
  data?: unknown;
}

/** A RES error. Clients only ever see `{code, message, data}`. */
export class ResError extends Error implements ErrorObject {
  declare readonly name: "ResError";
  readonly code: string;
  readonly data: unknown;

  constructor(code: string, message: string, data?: unknown, options?: { cause?: unknown }) {
    // A RES error is a value sent to clients far more often than a bug to debug:
    // capturing a stack trace for each would dominate the cost of answering one.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, options);
    Error.stackTraceLimit = limit;
    this.code = code;
    this.data = data;
  }

  /** The error object as sent on the wire; `data` is left out when undefined. */
  toJSON(): ErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

Object.defineProperty(ResError.prototype, "name", { value: "ResError" });

/** Builds a `system.internalError` the way Resgate words it: "Internal error: <reason>". */
export function internalError(reason: string, cause?: unknown): ResError {
  return new ResError(ErrorCode.internalError, "Internal error: " + reason, undefined, { cause });
}

/** Normalizes anything thrown into a ResError (non-ResErrors become internal errors). */
export function toResError(err: unknown): ResError {
  if (err instanceof ResError) return err;
  if (err instanceof Error) return internalError(err.message, err);
  return internalError(String(err), err);
}

/**
 * Reads an error object from its raw JSON text (part of a validated document), as
 * Go decodes it: code and message must be strings (or null), names match ignoring
 * case. Undefined when it is not a usable error object.
 */
export function parseRawErrorObject(raw: string): ResError | undefined {
  const o = readObject(raw);
  if (!o) return undefined;
  const code = member(o, "code");
  const message = member(o, "message");
  const data = member(o, "data");
  const text = (r: string | undefined) => (isNull(r) ? "" : readString(r));
  const c = text(code);
  const m = text(message);
  if (c === undefined || m === undefined) return undefined;
  return new ResError(c, m, isNull(data) ? undefined : (JSON.parse(data) as unknown));
}

/** Pre-defined errors, with Resgate's exact messages. */
export const Errors = {
  accessDenied: () => new ResError(ErrorCode.accessDenied, "Access denied"),
  internalError: () => new ResError(ErrorCode.internalError, "Internal error"),
  disposing: () => new ResError(ErrorCode.internalError, "Internal error: disposing connection"),
  invalidParams: () => new ResError(ErrorCode.invalidParams, "Invalid parameters"),
  invalidQuery: () => new ResError(ErrorCode.invalidQuery, "Invalid query"),
  methodNotFound: () => new ResError(ErrorCode.methodNotFound, "Method not found"),
  noSubscription: () => new ResError(ErrorCode.noSubscription, "No subscription"),
  notFound: () => new ResError(ErrorCode.notFound, "Not found"),
  timeout: () => new ResError(ErrorCode.timeout, "Request timeout"),
  invalidRequest: () => new ResError(ErrorCode.invalidRequest, "Invalid request"),
  unsupportedProtocol: () => new ResError(ErrorCode.unsupportedProtocol, "Unsupported protocol"),
  subjectTooLong: () => new ResError(ErrorCode.subjectTooLong, "Subject too long"),
  deleted: () => new ResError(ErrorCode.deleted, "Deleted"),
  subscriptionLimitExceeded: () =>
    new ResError(ErrorCode.subscriptionLimitExceeded, "Subscription limit exceeded"),
  badRequest: () => new ResError(ErrorCode.badRequest, "Bad request"),
  methodNotAllowed: () => new ResError(ErrorCode.methodNotAllowed, "Method not allowed"),
  serviceUnavailable: () => new ResError(ErrorCode.serviceUnavailable, "Service unavailable"),
  forbidden: () => new ResError(ErrorCode.forbidden, "Forbidden"),
  forbiddenOrigin: () => new ResError(ErrorCode.forbidden, "Forbidden origin"),
  notImplemented: () => new ResError(ErrorCode.notImplemented, "Not implemented"),
} as const;
