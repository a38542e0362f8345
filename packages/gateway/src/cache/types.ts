/**
 * What the cache needs from the connection layer, and the events it hands to it.
 */
import type { ResError, Value } from "@resgate-ts/protocol";
import type { OutgoingFrame } from "../conn/outgoing-frame.js";
import type { CachedResource } from "./resource.js";
import type { Throttle } from "./throttle.js";

/** A connection's subscription to one resource, as the cache sees it. */
export interface Subscriber {
  readonly cid: string;
  readonly resourceName: string;
  readonly resourceQuery: string;
  /** Called once the resource has loaded, with the resource or the error. */
  loaded(resource: CachedResource | undefined, err: ResError | undefined): void;
  /** Called for every event on the resource, in the order the service sent them. */
  event(ev: ResourceEvent): void;
  /** Access to the resource must be checked again (see CachedResource.resetAccess). */
  reaccess(throttle: Throttle | undefined, lenient: boolean): void;
}

/** A connection as the cache sees it, for `system.tokenReset`. */
export interface TokenResetTarget {
  readonly cid: string;
  tokenReset(tids: ReadonlySet<string>, subject: string): void;
  /** An event on `conn.<cid>.<event>` (the token event). */
  connEvent(event: string, data: Uint8Array): void;
}

/** An event on a cached resource, shared by every subscriber of it. */
export interface ResourceEvent {
  readonly event: string;
  /** The event's payload as compact JSON text ("null" when the message was empty), passed to clients for events the gateway does not interpret. */
  readonly payloadJson: string;
  /** The resource version the event applies to; subscribers on another version drop it. */
  version: number;
  /** The event changed the resource (change/add/remove), so it bumps the version. */
  update: boolean;
  /** add/remove: the index and the added or removed value. */
  idx: number;
  value: Value | undefined;
  /** change: the values that changed, and the model's values before the change. */
  changed: ReadonlyMap<string, Value> | undefined;
  oldValues: ReadonlyMap<string, Value> | undefined;
  /** One encoded frame kept for reuse by subscribers that need the same bytes. */
  frameRid: string | undefined;
  frameLegacy: boolean;
  frame: OutgoingFrame | undefined;
}

export function newResourceEvent(event: string, payloadJson: string): ResourceEvent {
  return {
    event,
    payloadJson,
    version: 0,
    update: false,
    idx: 0,
    value: undefined,
    changed: undefined,
    oldValues: undefined,
    frameRid: undefined,
    frameLegacy: false,
    frame: undefined,
  };
}
