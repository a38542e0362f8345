/**
 * A full garbage collection once the gateway goes quiet after heavy traffic. V8 lets
 * garbage pile up to a multiple of the live heap before it collects, and after a
 * storm of large service payloads it may keep that memory for half a minute or more
 * until its memory reducer runs. A collection at the first quiet moment gives the
 * memory back within seconds, at the price of one pause when nothing is happening.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Heap checks are this far apart. */
export const IDLE_GC_INTERVAL_MS = 2000;

/**
 * Decides from heap samples taken IDLE_GC_INTERVAL_MS apart when to collect: much
 * garbage may have been made since the last collection we made (the heap's growth,
 * summed over the samples, plus what the cache let go of), and the heap barely grew
 * during the last interval (the gateway is quiet). A gateway that allocates steadily
 * never counts as quiet, and is left to V8's own (incremental) collections.
 *
 * A full collection costs in proportion to the live heap, so the thresholds grow with
 * it: a gateway holding a gigabyte of cached resources collects at most once per
 * gigabyte allocated (or a quarter of it let go of by the cache), as V8 itself would.
 */
export class IdleGcPolicy {
  private previous: number;
  private allocated = 0;
  /** The cache's running total of bytes let go of: at the last sample, and at the last collection. */
  private released = 0;
  private releasedAtCollection = 0;
  /** The heap in use right after our last collection: what was live then. */
  private live = 0;

  constructor(
    initialHeap: number,
    /** Allocation since the last collection that makes one worthwhile. */
    private readonly worthwhileBytes = 128 * 1024 * 1024,
    /** Growth within one interval below which the gateway counts as quiet. */
    private readonly quietBytes = 4 * 1024 * 1024,
    /**
     * Cached values let go of since the last collection that make one worthwhile (a
     * storm's resources leave the cache a few seconds after the storm).
     */
    private readonly worthwhileReleasedBytes = 16 * 1024 * 1024,
  ) {
    this.previous = initialHeap;
  }

  /**
   * Takes a heap sample, with the running total of bytes the cache let go of; true
   * when a collection should run now.
   */
  sample(used: number, released = 0): boolean {
    const growth = used - this.previous;
    this.previous = used;
    if (growth > 0) this.allocated += growth;
    this.released = released;
    const worthwhile =
      this.allocated > Math.max(this.worthwhileBytes, this.live) ||
      released - this.releasedAtCollection > Math.max(this.worthwhileReleasedBytes, this.live / 4);
    // A drop means V8 collected during the interval: allocation went on, unmeasured.
    return worthwhile && growth >= 0 && growth < this.quietBytes;
  }

  /** Records the heap measured right after a collection. */
  collected(used: number): void {
    this.live = used;
    this.allocated = 0;
    this.releasedAtCollection = this.released;
    this.previous = used;
  }
}

/**
 * V8's gc() function. The flag is set at run time (as Jest's leak detector does) so
 * that `npx resgate-ts` needs no node flags; a fresh context picks the function up.
 */
function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The JS heap in use plus external memory (Buffers): a flood of large client frames
 * allocates mostly the latter, which is freed only when a collection finds its
 * Buffer objects unreachable.
 */
function usedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * Starts the idle collector; returns a function that stops it. `released` is the
 * running total of bytes the cache let go of.
 */
export function startIdleGc(
  released: () => number,
  onCollect?: (before: number, after: number) => void,
): () => void {
  const gc = exposeGc();
  if (!gc) return () => {};
  const policy = new IdleGcPolicy(usedMemory());
  const timer = setInterval(() => {
    const before = usedMemory();
    if (!policy.sample(before, released())) return;
    gc();
    const after = usedMemory();
    policy.collected(after);
    onCollect?.(before, after);
  }, IDLE_GC_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
