/** Every example, by the name `npm run example -- <name>` takes. */
import { bookCollection } from "../book-collection/service.js";
import { chatHistory } from "../chat-history/service.js";
import { editText } from "../edit-text/service.js";
import { jwtAuthExample } from "../jwt-auth/service.js";
import type { Example } from "./example.js";

const factories: ReadonlyMap<string, () => Example> = new Map([
  ["book-collection", () => bookCollection],
  ["edit-text", () => editText],
  ["jwt-auth", () => jwtAuthExample()],
  ["chat-history", () => chatHistory],
]);

export const exampleNames: readonly string[] = [...factories.keys()];

/** The example named `name` (a fresh one: the JWT example gets a new signing secret). */
export function findExample(name: string): Example | undefined {
  return factories.get(name)?.();
}
