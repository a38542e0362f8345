export { Gateway, type GatewayOptions } from "./gateway.js";
export {
  ConfigError,
  defaultConfig,
  loadConfig,
  parseFlags,
  validate,
  type Config,
} from "./config.js";
export type {
  BusStatus,
  BusSubscription,
  MessageBus,
  MessageHandler,
  ReplyHandler,
} from "./bus/bus.js";
export { NatsBus, type NatsBusOptions } from "./bus/nats-bus.js";
export { startIdleGc } from "./util/idle-gc.js";
