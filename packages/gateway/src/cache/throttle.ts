/**
 * Bounds how many tasks run at once (--resetthrottle, --referencethrottle). A task
 * calls done() when it has finished; queued tasks then start in order.
 */
export class Throttle {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  add(task: () => void): void {
    if (this.running >= this.limit) {
      this.queue.push(task);
      return;
    }
    this.running++;
    task();
  }

  done(): void {
    const next = this.queue.shift();
    if (next) queueMicrotask(next);
    else if (this.running > 0) this.running--;
  }
}
