// How pm-control serves the console: cache headers, the Content-Security-Policy, and deep links
// reloaded in the browser (the fallback to index.html), against the built console.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertNoPageErrors, launchBrowser, newPage, signIn, stackEnv } from "./lib.mjs";

let browser;
before(async () => (browser = await launchBrowser()));
after(async () => browser?.close());

const html = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

test("index.html is revalidated, hashed assets are immutable, both under the CSP", async () => {
  const base = stackEnv().PM_CONSOLE_URL;
  const index = await fetch(base + "/", { headers: html });
  assert.equal(index.status, 200);
  assert.equal(index.headers.get("cache-control"), "no-cache");
  const csp = index.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  const body = await index.text();
  const scripts = [...body.matchAll(/src="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  assert.ok(scripts.length > 0, `no script under /assets/ in index.html:\n${body}`);
  const script = await fetch(base + scripts[0]);
  assert.equal(script.status, 200);
  assert.equal(script.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal(script.headers.get("content-security-policy"), csp);
  assert.equal((await fetch(base + "/assets/no-such-file.js", { headers: html })).status, 404);
});

test("a deep link answers index.html to a browser and stays 404 for the API", async () => {
  const base = stackEnv().PM_CONSOLE_URL;
  const deep = await fetch(base + "/devices/01HZZZZZZZZZZZZZZZZZZZZZZZ", { headers: html });
  assert.equal(deep.status, 200);
  assert.equal(deep.headers.get("cache-control"), "no-cache");
  assert.match(await deep.text(), /<div id="app"|<script/);
  assert.equal((await fetch(base + "/devices/x")).status, 404, "without Accept: text/html");
  const api = await fetch(base + "/pm.v1.ControlService/NoSuchMethod", { headers: html });
  assert.equal(api.status, 404);
  const rpc = await fetch(base + "/pm.v1.ControlService/ListDevices", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  assert.equal(rpc.status, 401, "an RPC without a session is still unauthenticated");
});

test("reloading a page's own URL shows that page, with no CSP violation", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.goto(stackEnv().PM_CONSOLE_URL + "/devices");
  await page.getByRole("heading", { name: "Devices" }).waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "Devices" }).waitFor();
  await page.getByRole("table", { name: "Devices" }).locator("tbody tr").first().waitFor();
  assertNoPageErrors(page);
});
