/**
 * One example running end to end for a test file: a real nats-server, and the
 * example's runner (the gateway in-process, the services, the page server) on free
 * ports. Clients are official resclients; everything is stopped by `stop()`.
 */
import type { Logger } from "@resgate-ts/service";
import { pino } from "pino";
import type { Example } from "../../lib/example.js";
import { startExample, type RunningExample } from "../../lib/runner.js";
import { NatsServer } from "./nats-server.js";
import { createClient, type ResClient, type ResClientOptions } from "./resclient.js";
import { until, within } from "./wait.js";

export class ExampleEnv {
  /** Errors the services reported (a handler that threw, a bad answer). */
  readonly serviceErrors: string[] = [];
  readonly #clients: ResClient[] = [];
  #running: RunningExample | undefined;

  private constructor(readonly nats: NatsServer) {}

  static async start(example: Example): Promise<ExampleEnv> {
    const env = new ExampleEnv(await NatsServer.start());
    const logger: Logger = {
      info: () => undefined,
      error: (message) => env.serviceErrors.push(message),
    };
    try {
      env.#running = await within(
        startExample(example, {
          natsUrl: env.nats.url,
          port: 0,
          webPort: 0,
          requestTimeout: 2000,
          gatewayLogger: pino({ level: "silent" }),
          serviceLogger: logger,
        }),
        5000,
        `start ${example.name}`,
      );
    } catch (err) {
      await env.nats.stop();
      throw err;
    }
    return env;
  }

  get running(): RunningExample {
    if (!this.#running) throw new Error("the example is not running");
    return this.#running;
  }

  /** The page server's URL of `path`. */
  pageUrl(path = "/"): string {
    return new URL(path, this.running.pageUrl).href;
  }

  /** A resclient, connected; disconnected by `stop()`. */
  async client(opts: ResClientOptions = {}): Promise<ResClient> {
    const client = createClient(this.running.wsUrl, opts);
    this.#clients.push(client);
    await within(client.connect(), 3000, "resclient connect");
    return client;
  }

  /** Disconnects a client and waits (at most 2 s) until the gateway has seen it go. */
  async disconnect(client: ResClient): Promise<void> {
    const before = this.running.gateway.connections;
    client.disconnect();
    await until(
      () => this.running.gateway.connections < before,
      2000,
      "the gateway saw the client disconnect",
    );
  }

  async stop(): Promise<void> {
    for (const c of this.#clients) c.disconnect();
    try {
      await within(this.#running?.stop() ?? Promise.resolve(), 5000, "stop the example");
    } finally {
      await this.nats.stop();
    }
  }
}
