/**
 * RES errors and HTTP statuses, both ways, exactly as Resgate maps them
 * (server/apiHandler.go: errorStatus and statusError).
 */
import { ErrorCode, Errors, type ResError } from "@resgate-ts/protocol";

/** The HTTP status an API request answered with `err` gets. */
export function errorStatus(err: ResError): number {
  switch (err.code) {
    case ErrorCode.notFound:
    case ErrorCode.methodNotFound:
    case ErrorCode.timeout:
      return 404;
    case ErrorCode.accessDenied:
      return 401;
    case ErrorCode.methodNotAllowed:
      return 405;
    case ErrorCode.internalError:
      return 500;
    case ErrorCode.serviceUnavailable:
      return 503;
    case ErrorCode.forbidden:
      return 403;
    case ErrorCode.subjectTooLong:
      return 414;
    default:
      return 400;
  }
}

/** The RES error a meta status of 4xx or 5xx stands for when the reply had no error. */
export function statusError(status: number): ResError {
  if (status >= 400 && status < 500) {
    switch (status) {
      case 401:
      case 402:
      case 407:
        return Errors.accessDenied();
      case 403:
      case 451:
        return Errors.forbidden();
      case 404:
      case 410:
        return Errors.notFound();
      case 405:
        return Errors.methodNotAllowed();
      case 408:
        return Errors.timeout();
      default:
        return Errors.badRequest();
    }
  }
  switch (status) {
    case 501:
      return Errors.notImplemented();
    case 503:
      return Errors.serviceUnavailable();
    case 504:
      return Errors.timeout();
    default:
      return Errors.internalError();
  }
}
