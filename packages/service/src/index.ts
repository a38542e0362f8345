/**
 * @resgate-ts/service: a typed SDK for writing RES services on NATS.
 * @see ../README.md
 */
export {
  Service,
  consoleLogger,
  silentLogger,
  requestSubjects,
  type Logger,
  type ServeTarget,
  type ServiceOptions,
} from "./service.js";
export { Router, type Match, type NoParams } from "./router.js";
export { Resource, type ResourceValue } from "./resource.js";
export {
  AccessRequest,
  AuthRequest,
  CallRequest,
  ClientRequest,
  GetRequest,
  MethodRequest,
  NewRequest,
  Request,
  type RequestPayload,
  type RequestType,
} from "./request.js";
export { QueryRequest } from "./query.js";
export type {
  AccessHandler,
  ApplyHandlers,
  AuthHandler,
  CallHandler,
  GetHandler,
  Handler,
  HandlerResult,
  NewHandler,
  QueryHandler,
  ResourceType,
} from "./handler.js";
export type { AnyParams, ParamNames, PathParams, Simplify } from "./pattern.js";
export {
  Delete,
  data,
  ref,
  softRef,
  type ChangeOf,
  type ChangeValues,
  type Collection,
  type DataValue,
  type DeleteAction,
  type Model,
  type ModelOf,
  type Primitive,
  type Ref,
  type Value,
} from "./values.js";
export { ErrorCode, Errors, ResError } from "@resgate-ts/protocol";
