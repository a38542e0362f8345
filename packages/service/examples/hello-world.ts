/**
 * Hello world: one model, `hello.model`, with a message that clients can read and
 * change. Every subscribed client sees the change at once.
 *
 * Run it (after `npx tsc -b`) with a NATS server and a gateway running:
 *   node packages/service/dist/examples/hello-world.js nats://127.0.0.1:4222
 */
import { pathToFileURL } from "node:url";
import { Service, type ServiceOptions } from "../src/index.js";

/** Reads `{ "message": string }` call parameters (throwing answers system.invalidParams). */
function parseMessage(params: unknown): string {
  if (typeof params === "object" && params !== null && "message" in params) {
    const { message } = params;
    if (typeof message === "string") return message;
  }
  throw new Error("message must be a string");
}

export function helloService(options?: ServiceOptions): Service {
  const service = new Service("hello", options);
  let message = "Hello, World!";

  service.handle("model", {
    // Anyone may read the model and call its methods.
    access: (r) => r.accessGranted(),
    // The model as clients see it.
    get: (r) => r.model({ message }),
    call: {
      // call.hello.model.set {"message": "..."}: change the model, tell every client.
      set: (r) => {
        const next = r.parseParams(parseMessage);
        if (next !== message) {
          message = next;
          r.changeEvent({ message });
        }
        r.ok();
      },
    },
  });
  return service;
}

// Started directly (not imported by a test): serve until Ctrl-C.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const service = helloService();
  await service.serve(process.argv[2] ?? "nats://127.0.0.1:4222");
  process.once("SIGINT", () => {
    service.close().catch((err: unknown) => console.error(err));
  });
}
