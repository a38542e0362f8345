#!/usr/bin/env node
/**
 * The resgate-ts command: Resgate's flags, then run until SIGINT/SIGTERM.
 */
import cluster from "node:cluster";
import { connect } from "node:net";
import { PROTOCOL_VERSION } from "@resgate-ts/protocol";
import { ConfigError, USAGE, loadConfig, type LoadedConfig } from "./config.js";
import { GATEWAY_VERSION } from "./constants.js";
import { Gateway } from "./gateway.js";
import { createLogger } from "./log.js";
import { startIdleGc } from "./util/idle-gc.js";
import { runPrimary } from "./workers.js";

/** Tells --workers processes where the primary's embedded broker listens. */
const EMBEDDED_URL_ENV = "RESGATE_TS_EMBEDDED_NATS";

/** Whether something accepts TCP connections on 127.0.0.1:<port>. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

async function main(): Promise<void> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + "\n");
      process.exit(1);
    }
    throw err;
  }
  if (loaded.help) {
    process.stdout.write(USAGE + "\n");
    process.exit(0);
  }
  if (loaded.version) {
    process.stdout.write(`resgate-ts v${GATEWAY_VERSION}\nprotocol   v${PROTOCOL_VERSION}\n`);
    process.exit(0);
  }

  const config = loaded.config;
  // A worker uses the broker its primary started.
  const inherited = process.env[EMBEDDED_URL_ENV];
  if (cluster.isWorker && inherited) config.natsUrl = inherited;
  const embedded =
    !(cluster.isWorker && inherited) &&
    (config.embedded || (!loaded.natsGiven && !(await isListening(4222))));

  if (config.workers > 1 && cluster.isPrimary) {
    const log = createLogger(config);
    let env: Record<string, string> = {};
    if (embedded) {
      const { Broker } = await import("@resgate-ts/broker");
      const broker = await Broker.start({
        host: "127.0.0.1",
        port: (await isListening(4222)) ? 0 : 4222,
      });
      log.info(`Embedded NATS broker listening on ${broker.url} (for development only)`);
      env = { [EMBEDDED_URL_ENV]: broker.url };
    }
    runPrimary(config.workers, log, env);
    return;
  }
  const gateway = new Gateway(config, { embedded });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.log.info({ signal }, "signal received");
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    gateway.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        gateway.log.error({ err }, "error while stopping");
        process.exit(1);
      },
    );
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const) {
    process.on(sig, () => stop(sig));
  }
  try {
    await gateway.start();
  } catch (err) {
    gateway.log.error({ err }, "failed to start server");
    process.exit(1);
  }
  startIdleGc(
    () => gateway.releasedCacheBytes,
    (before, after) =>
      gateway.log.debug({ heapBefore: before, heapAfter: after }, "idle garbage collection"),
  );
}

await main();
