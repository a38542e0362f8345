/**
 * The seam between the gateway and its message broker. Only this folder knows NATS;
 * everything else sees subjects and payload bytes.
 */
import { ErrorCode, ResError } from "@resgate-ts/protocol";

/**
 * No service listens on a request's subject. Clients see `system.notFound`, as with
 * Resgate; the gateway itself treats it as a passing condition, never as a deletion.
 */
export class NoRespondersError extends ResError {
  constructor() {
    super(ErrorCode.notFound, "Not found");
  }
}

/** True for errors of the transport rather than answers from a service. */
export function isTransportError(err: ResError): boolean {
  return err instanceof NoRespondersError || err.code === ErrorCode.timeout;
}

/** Called with the subject and payload of each message on a subscription. */
export type MessageHandler = (subject: string, data: Uint8Array) => void;

/** Called once per request: with an error, or with the reply's payload. */
export type ReplyHandler = (err: ResError | undefined, data: Uint8Array | undefined) => void;

export interface BusSubscription {
  unsubscribe(): void;
}

/** Connection state changes worth telling the gateway about. */
export type BusStatus = "connected" | "disconnected" | "reconnected" | "closed";

export interface MessageBus {
  /**
   * Sends a request and calls `onReply` exactly once: with the reply, or with
   * `system.timeout`, `system.notFound` (no responders), `system.subjectTooLong`
   * or an internal error. A pre-response `timeout:"<ms>"` extends the deadline.
   */
  request(subject: string, payload: string, onReply: ReplyHandler): void;
  /** Subscribes to a subject (wildcards allowed); throws ResError when it cannot. */
  subscribe(subject: string, handler: MessageHandler): BusSubscription;
  /** Publishes without expecting a reply. */
  publish(subject: string, payload: string): void;
  /** Registers a listener for connection state changes. */
  onStatus(listener: (status: BusStatus, detail?: string) => void): void;
  /** Closes the connection, flushing what was sent. */
  close(): Promise<void>;
}
