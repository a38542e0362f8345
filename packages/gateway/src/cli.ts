#!/usr/bin/env node
/**
 * The resgate-ts command: Resgate's flags, then run until SIGINT/SIGTERM.
 */
import cluster from "node:cluster";
import { PROTOCOL_VERSION } from "@resgate-ts/protocol";
import { ConfigError, USAGE, loadConfig, type LoadedConfig } from "./config.js";
import { GATEWAY_VERSION } from "./constants.js";
import { Gateway } from "./gateway.js";
import { createLogger } from "./log.js";
import { runPrimary } from "./workers.js";

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

  if (loaded.config.workers > 1 && cluster.isPrimary) {
    runPrimary(loaded.config.workers, createLogger(loaded.config));
    return;
  }
  const gateway = new Gateway(loaded.config);
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
}

await main();
