/**
 * A real nats-server on a free loopback port (`/usr/sbin/nats-server`, or the binary
 * NATS_SERVER names), stopped by its PID. Every wait is bounded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect as tcpConnect, createServer } from "node:net";
import { sleep } from "./wait.js";

function binary(): string {
  return process.env["NATS_SERVER"] || "/usr/sbin/nats-server";
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export class NatsServer {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts nats-server and waits (at most 5 s) until it accepts connections. */
  static async start(): Promise<NatsServer> {
    const port = await freePort();
    const child = spawn(binary(), ["-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    const failed = new Promise<Error>((resolve) => {
      child.once("error", (err) => resolve(err));
      child.once("exit", (code) => resolve(new Error(`nats-server exited with ${code}`)));
    });
    const server = new NatsServer(port, child);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const up = await Promise.race([accepts(port), failed]);
      if (up instanceof Error) throw new Error(`${binary()}: ${up.message} (set NATS_SERVER)`);
      if (up) return server;
      await sleep(20);
    }
    await server.stop();
    throw new Error(`nats-server did not accept connections on port ${port} within 5 s`);
  }

  /** Stops the process by its PID: SIGTERM, then SIGKILL after 3 s. */
  async stop(): Promise<void> {
    const { child } = this;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const pid = child.pid;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    process.kill(pid, "SIGTERM");
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
    }, 3000);
    await exited;
    clearTimeout(timer);
  }
}
