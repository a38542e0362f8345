/**
 * The environment of an integration test file: a real nats-server, an in-process
 * gateway on a free port, a scripted service, and WebSocket clients closed after
 * each test. Resource names get a per-test prefix so tests never share cache state.
 */
import type { TestContext } from "node:test";
import { pino } from "pino";
import { defaultConfig, Gateway, type Config } from "../../src/index.js";
import { EmbeddedNats, NatsServer } from "./nats-server.js";
import { ScriptedService } from "./service.js";
import { TestClient } from "./ws-client.js";

export interface EnvOptions {
  config?: Partial<Config>;
  maxOutgoingBytes?: number;
  cacheBudgetBytes?: number;
  /** Extra nats-server arguments (e.g. `-c <file>`). */
  natsArgs?: string[];
  unsubscribeDelayMs?: number;
  /** Interval of event-stream heartbeats. */
  sseHeartbeatMs?: number;
}

let counter = 0;

export class TestEnv {
  private clients = new Set<TestClient>();

  private constructor(
    readonly nats: NatsServer | EmbeddedNats,
    readonly gateway: Gateway,
    readonly service: ScriptedService,
  ) {}

  static async start(opts: EnvOptions = {}): Promise<TestEnv> {
    const nats =
      process.env["TEST_BROKER"] === "embedded" && !opts.natsArgs
        ? await EmbeddedNats.start()
        : await NatsServer.start({ args: opts.natsArgs ?? [] });
    const config: Config = {
      ...defaultConfig(),
      natsUrl: nats.url,
      addr: "127.0.0.1",
      port: 0,
      requestTimeout: 1000,
      ...opts.config,
    };
    const logger = pino({ level: process.env["GATEWAY_LOG"] ? "trace" : "silent" });
    const gateway = new Gateway(config, {
      logger,
      unsubscribeDelayMs: opts.unsubscribeDelayMs ?? 5000,
      ...(opts.maxOutgoingBytes === undefined ? {} : { maxOutgoingBytes: opts.maxOutgoingBytes }),
      ...(opts.cacheBudgetBytes === undefined ? {} : { cacheBudgetBytes: opts.cacheBudgetBytes }),
      ...(opts.sseHeartbeatMs === undefined ? {} : { sseHeartbeatMs: opts.sseHeartbeatMs }),
    });
    // port 0: the OS picks one (validate() is not run for in-process gateways).
    await gateway.start();
    const service = await ScriptedService.connect(nats.url);
    return new TestEnv(nats, gateway, service);
  }

  get wsUrl(): string {
    const a = this.gateway.address();
    return `ws://127.0.0.1:${a.port}${this.gateway.config.wsPath}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.gateway.address().port}`;
  }

  /** A unique resource-name prefix for one test. */
  prefix(name = "t"): string {
    return `${name}${++counter}`;
  }

  /** Opens a client that is closed when the test ends. */
  async connect(t?: TestContext, headers?: Record<string, string>): Promise<TestClient> {
    const c = await TestClient.connect(this.wsUrl, headers);
    this.clients.add(c);
    t?.after(() => {
      c.close();
      this.clients.delete(c);
    });
    return c;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.terminate();
    await this.service.close().catch(() => undefined);
    await this.gateway.stop();
    await this.nats.stop();
  }
}
