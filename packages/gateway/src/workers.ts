/**
 * --workers N: a primary process that runs N complete gateways sharing one listening
 * port (node:cluster hands each new connection to a worker), so that one host uses
 * every core as several Resgate instances would. A worker that dies is restarted; its
 * clients reconnect to the others meanwhile.
 */
import cluster from "node:cluster";
import type { Logger } from "pino";

/** Delay before a dead worker is replaced (so that a crash loop cannot spin). */
const RESTART_DELAY_MS = 500;
/** Time the workers get to stop after SIGTERM/SIGINT before the primary exits anyway. */
const STOP_TIMEOUT_MS = 10_000;

export function runPrimary(count: number, log: Logger, env: Record<string, string> = {}): void {
  let stopping = false;
  const fork = () => {
    const w = cluster.fork(env);
    log.info({ worker: w.process.pid }, "worker started");
  };
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log.error({ worker: worker.process.pid, code, signal }, "worker died; restarting it");
    setTimeout(fork, RESTART_DELAY_MS);
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping workers");
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    setTimeout(() => process.exit(1), STOP_TIMEOUT_MS).unref();
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const) {
    process.on(sig, () => stop(sig));
  }
  for (let i = 0; i < count; i++) fork();
}
