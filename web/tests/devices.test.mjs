// Sign-in and the devices list against the simulated fleet.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertNoPageErrors, checkAccessibility, launchBrowser, newPage, screenshot, signIn, stackEnv } from "./lib.mjs";

let browser;
before(async () => (browser = await launchBrowser()));
after(async () => browser?.close());

test("a wrong password shows the API's message and a right one signs in", async () => {
  const page = await newPage(browser);
  const env = stackEnv();
  await page.goto(env.PM_CONSOLE_URL + "/");
  await checkAccessibility(page, "sign in");
  await screenshot(page, "sign-in");
  await page.getByLabel("Email").fill(env.PM_ADMIN_EMAIL);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: /invalid email or password/i }).waitFor();
  await page.getByLabel("Password").fill(env.PM_ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await checkAccessibility(page, "overview");
  await screenshot(page, "overview");
  assertNoPageErrors(page);
});

test("the devices page lists every simulated agent as online", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Devices" }).click();
  await page.getByRole("heading", { name: "Devices" }).waitFor();
  const agents = Number(stackEnv().PM_AGENTS);
  const rows = page.getByRole("table", { name: "Devices" }).locator("tbody tr");
  await rows.nth(Math.min(agents, 50) - 1).waitFor();
  assert.equal(await rows.count(), Math.min(agents, 50));
  assert.equal(await rows.filter({ hasText: "online" }).count(), Math.min(agents, 50));
  await checkAccessibility(page, "devices");
  await screenshot(page, "devices");
  assertNoPageErrors(page);
});
