/**
 * A script (not a test) run as a child process by test/e2e/resclient.test.ts: an
 * in-process gateway is stopped while a get request to a service is still pending,
 * then the script does nothing more. A gateway that leaves no timers behind lets the
 * process exit at once; the parent measures how long that takes.
 *
 * Prints "stopped" on stdout when gateway.stop() has returned.
 */
import { TestEnv } from "./env.js";

const env = await TestEnv.start();
const rid = env.prefix("stop") + ".model";
// Access is denied at once; the get request sent alongside is never answered.
env.service.handle(`access.${rid}`, (r) => r.access(false));
const client = await env.connect();
const r = await client.request(`subscribe.${rid}`);
if (r.error?.code !== "system.accessDenied") {
  process.stderr.write(`unexpected reply: ${JSON.stringify(r)}\n`);
  process.exit(2);
}
await env.service.next(`get.${rid}`, 2000);
await env.stop();
process.stdout.write("stopped\n");
