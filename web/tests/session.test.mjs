// The session lives in the pm_access / pm_refresh cookies: an expired access token is renewed
// from the refresh cookie without the user noticing; signing out ends both.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertNoPageErrors, launchBrowser, newPage, signIn, stackEnv } from "./lib.mjs";

let browser;
before(async () => (browser = await launchBrowser()));
after(async () => browser?.close());

async function cookieNames(page) {
  return (await page.context().cookies()).map((cookie) => cookie.name).sort();
}

test("a lost access cookie is renewed from the refresh cookie and the page still loads", async () => {
  const page = await newPage(browser);
  await signIn(page);
  assert.deepEqual(await cookieNames(page), ["pm_access", "pm_refresh"]);
  // What an expired access token looks like to the server: no valid pm_access.
  await page.context().clearCookies({ name: "pm_access" });
  const refreshed = page.waitForResponse((response) => response.url().endsWith("/RefreshToken"));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Devices" }).click();
  assert.equal((await refreshed).status(), 200);
  await page.getByRole("table", { name: "Devices" }).locator("tbody tr").first().waitFor();
  assert.ok((await cookieNames(page)).includes("pm_access"), "the refresh set a new access cookie");
  assertNoPageErrors(page);
});

test("when the refresh cookie is gone too, the sign-in page comes back", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.context().clearCookies();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Devices" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  assertNoPageErrors(page);
});

test("signing out clears the session; a reload stays signed out", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  assert.deepEqual(await cookieNames(page), []);
  await page.goto(stackEnv().PM_CONSOLE_URL + "/");
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  assertNoPageErrors(page);
});
