/**
 * Runs callbacks one at a time, in the order they were queued. A callback queued
 * while another runs is run right after it, never inside it: this is what keeps
 * per-connection and per-resource work ordered without locks.
 */
export class SerialQueue {
  private readonly queue: (() => void)[] = [];
  private running = false;

  constructor(private readonly onError: (err: unknown) => void) {}

  enqueue(fn: () => void): void {
    if (this.running) {
      this.queue.push(fn);
      return;
    }
    this.running = true;
    try {
      // The common case, an idle queue, runs at once without touching the array.
      try {
        fn();
      } catch (err) {
        this.onError(err);
      }
      for (let i = 0; i < this.queue.length; i++) {
        try {
          (this.queue[i] as () => void)();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.queue.length = 0;
      this.running = false;
    }
  }
}
