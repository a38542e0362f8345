/**
 * Ordered work queues, one per key (a resource name or a handler group), as go-res's
 * per-resource workers: tasks with the same key run one at a time in arrival order,
 * an async task holding its queue until its promise settles; tasks with different
 * keys run concurrently.
 *
 * While a task runs, code in its (async) context can ask whether it is "inside" a key,
 * so that work for the same key is done inline instead of being queued behind itself.
 */
import { AsyncLocalStorage } from "node:async_hooks";

interface Frame {
  readonly key: string;
  active: boolean;
}

type Task = () => Promise<void>;

export class WorkQueues {
  private readonly queues = new Map<string, Task[]>();
  private readonly context = new AsyncLocalStorage<Frame>();
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  /** True when called from within the running task of `key`. */
  isInside(key: string): boolean {
    const f = this.context.getStore();
    return f !== undefined && f.active && f.key === key;
  }

  /** Number of queued or running tasks. */
  get size(): number {
    return this.running;
  }

  /**
   * Runs `fn` after every earlier task of `key`, and resolves with its result. With no
   * key (parallel handlers) the task starts at once. Inside a task of the same key, the
   * function runs inline (it would otherwise wait for the task that waits for it).
   */
  run<T>(key: string | undefined, fn: () => T | Promise<T>): Promise<T> {
    if (key !== undefined && this.isInside(key)) {
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.running++;
      const task: Task = async () => {
        try {
          resolve(await fn());
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        } finally {
          this.running--;
          if (this.running === 0) this.notifyIdle();
        }
      };
      if (key === undefined) {
        void task();
        return;
      }
      const q = this.queues.get(key);
      if (q) {
        q.push(task);
        return;
      }
      const queue: Task[] = [task];
      this.queues.set(key, queue);
      void this.pump(key, queue);
    });
  }

  private async pump(key: string, queue: Task[]): Promise<void> {
    for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
      const frame: Frame = { key, active: true };
      try {
        await this.context.run(frame, task);
      } finally {
        frame.active = false;
      }
    }
    this.queues.delete(key);
  }

  /** Resolves once no task is queued or running. */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
