/**
 * Scraping the metrics endpoint in tests: the text, and its samples by name and labels.
 */
import assert from "node:assert/strict";

export interface Scrape {
  contentType: string | null;
  text: string;
  /** Sample values keyed by `name{labels}` exactly as written (`name` without labels). */
  samples: Map<string, number>;
}

export async function scrape(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(3000),
  });
  assert.equal(res.status, 200);
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const sp = line.lastIndexOf(" ");
    samples.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return { contentType: res.headers.get("content-type"), text, samples };
}

/** A sample's value (0 when absent). */
export function sample(s: Scrape, key: string): number {
  return s.samples.get(key) ?? 0;
}

/** Polls until `key` has `value`, failing after `ms`. */
export async function waitForSample(
  port: number,
  key: string,
  value: number,
  ms = 3000,
): Promise<Scrape> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await scrape(port);
    if (sample(s, key) === value) return s;
    if (Date.now() > deadline) {
      assert.fail(`${key} is ${sample(s, key)}, expected ${value} within ${ms} ms`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
