/**
 * Runs callbacks one at a time, in the order they were queued. A callback queued
 * while another runs is run right after it, never inside it: this is what keeps
 * per-connection and per-resource work ordered without locks.
 */
function call(fn: () => void, _: undefined): void {
  fn();
}

export class SerialQueue {
  private readonly queue: (() => void)[] = [];
  private running = false;

  constructor(private readonly onError: (err: unknown) => void) {}

  enqueue(fn: () => void): void {
    this.enqueueWith(call, fn, undefined);
  }

  /**
   * `enqueue(() => fn(a, b))` without making that closure when the queue is idle: the
   * fan-out of an event calls this once per subscriber.
   */
  enqueueWith<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void {
    if (this.running) {
      this.queue.push(() => fn(a, b));
      return;
    }
    this.running = true;
    try {
      // The common case, an idle queue, runs at once without touching the array.
      try {
        fn(a, b);
      } catch (err) {
        this.onError(err);
      }
      this.drain();
    } finally {
      this.queue.length = 0;
      this.running = false;
    }
  }

  private drain(): void {
    for (let i = 0; i < this.queue.length; i++) {
      try {
        (this.queue[i] as () => void)();
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
