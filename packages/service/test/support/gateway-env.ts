/**
 * A real nats-server and the resgate-ts gateway in-process, for end-to-end tests of
 * services through a raw WebSocket client.
 */
import { Gateway, defaultConfig } from "@resgate-ts/gateway";
import { pino } from "pino";
import { NatsServer } from "./nats-server.js";
import { WsClient } from "./ws-client.js";

export class GatewayEnv {
  readonly #clients: WsClient[] = [];

  private constructor(
    readonly nats: NatsServer,
    readonly gateway: Gateway,
  ) {}

  static async start(): Promise<GatewayEnv> {
    const nats = await NatsServer.start();
    const gateway = new Gateway(
      {
        ...defaultConfig(),
        natsUrl: nats.url,
        addr: "127.0.0.1",
        port: 0,
        requestTimeout: 1000,
      },
      { logger: pino({ level: "silent" }) },
    );
    try {
      await gateway.start();
    } catch (err) {
      await nats.stop();
      throw err;
    }
    return new GatewayEnv(nats, gateway);
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.gateway.address().port}${this.gateway.config.wsPath}`;
  }

  /** A WebSocket client (version request sent), closed by `stop()`. */
  async client(): Promise<WsClient> {
    const c = await WsClient.connect(this.wsUrl);
    this.#clients.push(c);
    return c;
  }

  async stop(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.close()));
    await this.gateway.stop();
    await this.nats.stop();
  }
}
