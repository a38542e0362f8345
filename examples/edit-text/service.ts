/**
 * Edit text: one shared text that every client edits at once.
 *
 *   text.shared              model { text }
 *   call text.shared.set     { text }
 *
 * Each edit replaces the whole text, and every client sees it at once (the last edit
 * wins). Texts longer than MAX_LENGTH characters are refused with system.invalidParams.
 */
import { Service, type ServiceOptions } from "@resgate-ts/service";
import type { Example } from "../lib/example.js";
import { members, rawText } from "../lib/params.js";

export const MAX_LENGTH = 10_000;

function parseText(params: unknown): string {
  const text = rawText(members(params), "text", "Text");
  if (text.length > MAX_LENGTH) throw new Error(`Text must be at most ${MAX_LENGTH} characters`);
  return text;
}

export function textService(options?: ServiceOptions): Service {
  const service = new Service("text", options);
  let text = "Edit me! Everyone who has this page open sees what you type.";

  service.handle("shared", {
    type: "model",
    // Anyone may read the text and call `set`, and nothing else.
    access: (r) => r.access(true, "set"),
    get: (r) => r.model({ text }),
    call: {
      set: (r) => {
        const next = r.parseParams(parseText);
        if (next !== text) {
          text = next;
          r.changeEvent({ text });
        }
        r.ok();
      },
    },
  });
  return service;
}

export const editText: Example = {
  name: "edit-text",
  title: "one shared text, edited live by everyone who has the page open",
  services: (options) => [textService(options)],
};
