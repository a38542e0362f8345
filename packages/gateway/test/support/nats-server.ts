/**
 * Starts a real nats-server on a free loopback port for one test file. The binary
 * comes from NATS_SERVER, PATH or /usr/sbin (where Debian's package puts it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect as tcpConnect, createServer } from "node:net";
import { Broker } from "@resgate-ts/broker";

export function natsServerBinary(): string | undefined {
  if (process.env["NATS_SERVER"]) return process.env["NATS_SERVER"];
  for (const dir of (process.env["PATH"] ?? "")
    .split(":")
    .concat(["/usr/sbin", "/usr/local/bin"])) {
    const p = `${dir}/nats-server`;
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1 (never NATS' default 4222). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const a = srv.address();
        const p = typeof a === "object" && a ? a.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port !== 4222) return port;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export class NatsServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly binary: string,
    private readonly extraArgs: string[],
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(opts: { port?: number; args?: string[] } = {}): Promise<NatsServer> {
    const binary = natsServerBinary();
    if (!binary) {
      throw new Error(
        "nats-server not found: install it (apt-get install nats-server) or set NATS_SERVER",
      );
    }
    const s = new NatsServer(opts.port ?? (await freePort()), binary, opts.args ?? []);
    await s.run();
    return s;
  }

  /** (Re)starts the server process on the same port. */
  async run(): Promise<void> {
    const child = spawn(
      this.binary,
      ["-a", "127.0.0.1", "-p", String(this.port), ...this.extraArgs],
      {
        stdio: "ignore",
      },
    );
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      if (await portOpen(this.port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    throw new Error("nats-server did not start within 10 s");
  }

  /** Stops the server process (by its PID) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The embedded broker (@resgate-ts/broker) in place of nats-server: the core
 * integration suite runs once against each (TEST_BROKER=embedded selects this one).
 */
export class EmbeddedNats {
  private broker: Broker | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<EmbeddedNats> {
    const n = new EmbeddedNats(await freePort());
    await n.run();
    return n;
  }

  /** (Re)starts the broker on the same port. */
  async run(): Promise<void> {
    this.broker = await Broker.start({ host: "127.0.0.1", port: this.port });
  }

  /** Stops the broker, closing every client connection. */
  async stop(_signal?: NodeJS.Signals): Promise<void> {
    await this.broker?.close();
    this.broker = undefined;
  }
}
