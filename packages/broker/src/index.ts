/**
 * @resgate-ts/broker: a single-node broker speaking the NATS client protocol, for
 * tests, development and resgate-ts's embedded default. Production uses nats-server
 * or a NATS cluster.
 */
export { Broker } from "./broker.js";
export type { BrokerLogger, BrokerOptions, BrokerStats, LogLevel } from "./broker.js";
export { ErrorText, SERVER_VERSION } from "./protocol.js";
export { isValidLiteralSubject, isValidSubject, subjectMatches } from "./subject.js";
