function call(fn: () => void, _: undefined): void {
  fn();
}

/**
 * Runs callbacks one at a time, in the order they were queued. A callback queued
 * while another runs is run right after it, never inside it: this is what keeps
 * per-connection and per-resource work ordered without locks.
 *
 * There is one per connection, so it holds little: no array until callbacks wait,
 * and an error handler shared by every queue of its kind, given the queue's owner.
 */
export class SerialQueue<Owner = undefined> {
  private queue: (() => void)[] | undefined;
  private running = false;

  constructor(
    private readonly onError: (err: unknown, owner: Owner) => void,
    private readonly owner: Owner,
  ) {}

  enqueue(fn: () => void): void {
    this.enqueueWith(call, fn, undefined);
  }

  /**
   * `enqueue(() => fn(a, b))` without making that closure when the queue is idle: the
   * fan-out of an event calls this once per subscriber.
   */
  enqueueWith<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void {
    if (this.running) {
      (this.queue ??= []).push(() => fn(a, b));
      return;
    }
    this.running = true;
    try {
      // The common case, an idle queue, runs at once without touching an array.
      try {
        fn(a, b);
      } catch (err) {
        this.onError(err, this.owner);
      }
      this.drain();
    } finally {
      this.queue = undefined;
      this.running = false;
    }
  }

  private drain(): void {
    const queue = this.queue;
    if (!queue) return;
    // Callbacks may queue more: they are appended to this same array.
    for (let i = 0; i < queue.length; i++) {
      try {
        (queue[i] as () => void)();
      } catch (err) {
        this.onError(err, this.owner);
      }
    }
  }
}
