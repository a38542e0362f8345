export {
  ErrorCode,
  Errors,
  ResError,
  internalError,
  parseRawErrorObject,
  toResError,
  type ErrorObject,
} from "./errors.js";
export { CID_PLACEHOLDER, expandCid, isValidRid, isValidRidPart, splitRid } from "./rid.js";
export { PROTOCOL_VERSION, ProtocolVersion, parseProtocolVersion } from "./version.js";
export {
  DELETE_VALUE,
  ValueType,
  isProperValue,
  legacyValueJson,
  needsLegacyEncoding,
  parseRawValue,
  parseValue,
  valueEquals,
  type Value,
  type ValueResult,
} from "./value.js";
export { ResourcePattern } from "./pattern.js";
export {
  decodeClientRequest,
  encodeError,
  encodeErrorObject,
  encodeEvent,
  encodeResult,
  type ClientRequest,
} from "./client-messages.js";
export {
  MAX_JSON_DEPTH,
  compact,
  firstChar,
  isNull,
  isValidJson,
  member,
  readArray,
  readInt,
  readObject,
  readString,
} from "./json-raw.js";
