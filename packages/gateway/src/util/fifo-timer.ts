/**
 * A queue of deadlines that all share one duration, driven by a single timer. Adding
 * and cancelling are O(1); there is no setTimeout per entry (Resgate's timerqueue).
 */
export interface TimerEntry {
  /** Set when the entry has been cancelled or has fired. */
  done: boolean;
  deadline: number;
  next: TimerEntry | undefined;
  /**
   * Dropped once the entry is done: a cancelled entry stays queued until its deadline,
   * and must not keep what its callback holds (a request's reply handler) meanwhile.
   */
  fire: (() => void) | undefined;
}

export class FifoTimer {
  private head: TimerEntry | undefined;
  private tail: TimerEntry | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly durationMs: number) {}

  /** Calls `fire` after the queue's duration unless the returned entry is cancelled. */
  add(fire: () => void): TimerEntry {
    const entry: TimerEntry = {
      done: false,
      deadline: Date.now() + this.durationMs,
      next: undefined,
      fire,
    };
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    if (!this.timer) this.arm();
    return entry;
  }

  /** Cancels an entry; returns false when it had already fired or been cancelled. */
  cancel(entry: TimerEntry): boolean {
    if (entry.done) return false;
    entry.done = true;
    entry.fire = undefined;
    return true;
  }

  /** Cancels everything. */
  clear(): void {
    for (let e = this.head; e; e = e.next) {
      e.done = true;
      e.fire = undefined;
    }
    this.head = this.tail = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    while (this.head?.done) this.head = this.head.next;
    if (!this.head) {
      this.tail = undefined;
      this.timer = undefined;
      return;
    }
    const delay = Math.max(0, this.head.deadline - Date.now());
    // The timer alone never keeps the process alive.
    this.timer = setTimeout(this.expire, delay).unref();
  }

  private readonly expire = (): void => {
    const now = Date.now();
    while (this.head && (this.head.done || this.head.deadline <= now)) {
      const e = this.head;
      this.head = e.next;
      // An entry added from inside fire() must not be linked to a removed tail.
      if (!this.head) this.tail = undefined;
      const fire = e.fire;
      if (!e.done && fire) {
        e.done = true;
        e.fire = undefined;
        fire();
      }
    }
    this.arm();
  };
}
