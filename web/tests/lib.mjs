// What every browser test needs: the running stack (web/tests/run starts it and exports
// PM_STACK_DIR), Debian's chromium driven by playwright-core, sign-in, an API client for setup,
// axe-core's accessibility check and screenshots.
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);

/** The stack's addresses and the bootstrap admin (from DIR/env written by web/scripts/stack). */
export function stackEnv() {
  const dir = process.env.PM_STACK_DIR;
  if (!dir) throw new Error("PM_STACK_DIR is not set: run the tests through web/tests/run");
  const env = {};
  for (const line of readFileSync(join(dir, "env"), "utf8").split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) env[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return env;
}

/** Starts headless chromium (Debian's, or PM_CHROMIUM). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.PM_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/** A new page in its own context (own cookies), failing the test on any uncaught page error. */
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.pageErrors = [];
  page.on("pageerror", (error) => page.pageErrors.push(error.message));
  page.on("console", (message) => {
    // A CSP violation is a bug of the console, not noise.
    if (message.type() === "error" && /Content Security Policy/.test(message.text())) {
      page.pageErrors.push(message.text());
    }
  });
  page.setDefaultTimeout(15000);
  return page;
}

/** Signs in through the form and waits for the navigation to appear. */
export async function signIn(page, email, password) {
  const env = stackEnv();
  await page.goto(env.PM_CONSOLE_URL + "/");
  await page.getByLabel("Email").fill(email ?? env.PM_ADMIN_EMAIL);
  await page.getByLabel("Password").fill(password ?? env.PM_ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  const nav = page.getByRole("navigation", { name: "Main" });
  const refusal = page.getByRole("alert");
  await nav.or(refusal).first().waitFor();
  if (!(await nav.isVisible())) {
    throw new Error(`sign-in as ${email ?? env.PM_ADMIN_EMAIL} refused: ${await refusal.first().textContent()}`);
  }
}

/** Calls a ControlService method as `token`'s owner (Connect, JSON) for test setup. */
export async function api(method, body = {}, token) {
  const env = stackEnv();
  const response = await fetch(`${env.PM_CONSOLE_URL}/pm.v1.ControlService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** An access token for the admin (or the given user), for api(). */
export async function token(email, password) {
  const env = stackEnv();
  const login = await api("Login", {
    email: email ?? env.PM_ADMIN_EMAIL,
    password: password ?? env.PM_ADMIN_PASSWORD,
  });
  return login.accessToken;
}

/** Runs axe-core in the page; fails on any serious or critical violation, naming them. */
export async function checkAccessibility(page, name) {
  // Evaluated, not injected: pm-control's CSP blocks an injected inline <script>, and the
  // violation it logs would fail assertNoPageErrors.
  await page.evaluate(readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const report = await axe.run(document, { resultTypes: ["violations"] });
    return report.violations
      .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
      .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(" ")).slice(0, 3).join("; ")}`);
  });
  assert.deepEqual(result, [], `accessibility problems on ${name}:\n${result.join("\n")}`);
}

/** Saves a full-page screenshot as PM_SCREENSHOT_DIR/NAME.png (when the variable is set). */
export async function screenshot(page, name) {
  const dir = process.env.PM_SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Fails if the page threw or violated the CSP. */
export function assertNoPageErrors(page) {
  assert.deepEqual(page.pageErrors, [], `errors in the page:\n${page.pageErrors.join("\n")}`);
}
