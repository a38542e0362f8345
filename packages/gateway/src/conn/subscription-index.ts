/**
 * A connection's subscriptions by rid. Most connections hold a few: up to
 * SMALL_INDEX_SIZE of them are kept in an array, in the order they were added, and
 * found by a scan (their rid strings are mostly the cache's own, so that comparing
 * them is mostly comparing pointers); ten cost a quarter of a Map.
 * The array is grown one slot at a time (copied: it is short), as push would leave
 * room for 17. Beyond that a Map takes over, for good.
 */
import type { Subscription } from "./subscription.js";

export const SMALL_INDEX_SIZE = 16;

export class SubscriptionIndex {
  private list: Subscription[] | undefined;
  private map: Map<string, Subscription> | undefined;

  get size(): number {
    return this.map ? this.map.size : (this.list?.length ?? 0);
  }

  get(rid: string): Subscription | undefined {
    if (this.map) return this.map.get(rid);
    const list = this.list;
    if (!list) return undefined;
    for (let i = 0; i < list.length; i++) {
      const sub = list[i] as Subscription;
      if (sub.rid === rid) return sub;
    }
    return undefined;
  }

  /** Adds or replaces the subscription for `sub.rid`. */
  set(sub: Subscription): void {
    if (this.map) {
      this.map.set(sub.rid, sub);
      return;
    }
    const list = this.list;
    if (!list) {
      this.list = [sub];
      return;
    }
    const i = this.indexOf(sub.rid);
    if (i >= 0) {
      list[i] = sub;
      return;
    }
    if (list.length < SMALL_INDEX_SIZE) {
      this.list = list.concat([sub]);
      return;
    }
    const map = new Map<string, Subscription>();
    for (const s of list) map.set(s.rid, s);
    map.set(sub.rid, sub);
    this.map = map;
    this.list = undefined;
  }

  delete(rid: string): boolean {
    if (this.map) return this.map.delete(rid);
    const i = this.indexOf(rid);
    if (i < 0) return false;
    this.list?.splice(i, 1);
    if (this.list?.length === 0) this.list = undefined;
    return true;
  }

  /**
   * The subscriptions in the order they were added. From the array, a copy: the index
   * may change while it is iterated.
   */
  values(): IterableIterator<Subscription> {
    if (this.map) return this.map.values();
    return (this.list ?? []).slice().values();
  }

  clear(): void {
    this.list = undefined;
    this.map = undefined;
  }

  private indexOf(rid: string): number {
    const list = this.list;
    if (!list) return -1;
    for (let i = 0; i < list.length; i++) {
      if ((list[i] as Subscription).rid === rid) return i;
    }
    return -1;
  }
}
