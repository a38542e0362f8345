// The demo that `npm start` runs, in a real browser: Debian's Chromium driven by
// playwright-core. Two pages open the demo; one adds and edits a book and types in
// the shared text, the other shows it all live. A screenshot goes to test-output/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { startDemo, type RunningDemo } from "../demo.js";

const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";
const missing = existsSync(CHROMIUM)
  ? undefined
  : `Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run does) or set CHROMIUM`;
if (missing) console.log(`# ${missing}`);

let demo: RunningDemo;
let browser: Browser;

before(async () => {
  if (missing) return;
  demo = await startDemo({ port: 0, host: "127.0.0.1", natsUrl: undefined });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 30_000,
  });
});
after(async () => {
  if (missing) return;
  await browser.close();
  await demo.stop();
});

async function open(): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(demo.url.replace("localhost", "127.0.0.1"));
  await page.waitForSelector("text=Connected: live data over RES.");
  await page.waitForSelector("#text:not([disabled])");
  return page;
}

test(
  "two pages: a book added and edited in one shows live in the other",
  { skip: missing },
  async () => {
    const writer = await open();
    const reader = await open();

    await writer.fill("#title", "Dune");
    await writer.fill("#author", "Frank Herbert");
    await writer.click("#add-button");
    const item = reader.locator("#books li", { hasText: "Dune" });
    await item.waitFor();
    assert.equal(await item.locator(".author").textContent(), "by Frank Herbert");

    const mine = writer.locator("#books li", { hasText: "Dune" });
    await mine.locator(".edit").click();
    await mine.locator(".new-title").fill("Dune Messiah");
    await mine.locator(".save").click();
    await reader.locator("#books li .title", { hasText: "Dune Messiah" }).waitFor();

    await writer.fill("#text", "Hello from the other window");
    await writer.locator("#text").dispatchEvent("input");
    const deadline = Date.now() + 10_000;
    while ((await reader.inputValue("#text")) !== "Hello from the other window") {
      assert.ok(Date.now() < deadline, "the shared text reached the other page");
      await new Promise((r) => setTimeout(r, 50));
    }

    const dir = join(import.meta.dirname, "..", "..", "..", "test-output");
    mkdirSync(dir, { recursive: true });
    await reader.screenshot({ path: join(dir, "demo.png"), fullPage: true });
    assert.ok(existsSync(join(dir, "demo.png")));
  },
);
