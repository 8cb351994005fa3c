// Issue #12's acceptance for scale: with 10,000 enrolled devices the devices page stays
// responsive: it is paged (50 rows, not 10,000) and its first row is painted under 1 s after
// navigation. Slow (the enrolment takes about half a minute), so web/tests/run leaves it out
// of the default set unless PM_SCALE_TEST=1; run it by name:
//   web/tests/run --build build/release web/tests/scale.test.mjs
// PM_SCALE_DEVICES changes the fleet size (default 10000).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertNoPageErrors, checkAccessibility, launchBrowser, newPage, screenshot, signIn, stackEnv, token } from "./lib.mjs";
import { deviceCount, enrolDevices, listDevicesDurations } from "./enrol.mjs";

const count = Number(process.env.PM_SCALE_DEVICES ?? 10000);
const pageSize = 50;
const firstPaintBoundMs = 1000;
const rowSelector = 'table[aria-label="Devices"] tbody tr';

let browser;
let total;

before(
  async () => {
    browser = await launchBrowser();
    const seconds = await enrolDevices(await token(), { count });
    total = await deviceCount(await token());
    console.log(`enrolled ${count} devices through Register in ${seconds.toFixed(1)} s; the API counts ${total}`);
  },
  { timeout: 180_000 },
);
after(async () => browser?.close());

/**
 * Runs in every document of the page before the console's own scripts: records the paint
 * entries and the time (ms since navigation start) at which the first devices row has been
 * painted: the frame that holds it (requestAnimationFrame) and the task after it, which runs
 * once that frame is on screen.
 */
function installProbe(selector) {
  const probe = { firstRowMs: null, paints: {} };
  window.pmProbe = probe;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) probe.paints[entry.name] = entry.startTime;
  }).observe({ type: "paint", buffered: true });
  let seen = false;
  const observer = new MutationObserver(() => {
    if (seen || !document.querySelector(selector)) return;
    seen = true;
    observer.disconnect();
    requestAnimationFrame(() =>
      setTimeout(() => {
        performance.mark("devices-first-row");
        probe.firstRowMs = performance.now();
      }),
    );
  });
  observer.observe(document, { childList: true, subtree: true });
}

/** Clicks "Next" in the page and resolves to the ms until the next page's first row is painted. */
function timeNextPage(selector) {
  const firstRow = () => document.querySelector(selector)?.textContent;
  const before = firstRow();
  const next = [...document.querySelectorAll('nav[aria-label="Pages"] button')].find((b) => b.textContent.trim() === "Next");
  if (!next || next.disabled) throw new Error("no enabled Next button");
  return new Promise((resolve) => {
    const started = performance.now();
    const observer = new MutationObserver(() => {
      if (firstRow() === undefined || firstRow() === before) return;
      observer.disconnect();
      requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - started)));
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    next.click();
  });
}

/**
 * Signs in in a fresh context (cold cache) and loads /devices; resolves to the page and the
 * times its probe saw, with the ListDevices durations pm-control logged meanwhile.
 */
async function coldLoad() {
  const env = stackEnv();
  const page = await newPage(browser);
  await signIn(page);
  await page.addInitScript(installProbe, rowSelector);
  // Until pm-control serves the console for deep links (SPA fallback), GET /devices is a 404:
  // then the test hands the browser what "/" serves for it, which is what the fallback will do.
  const deepLink = await fetch(`${env.PM_CONSOLE_URL}/devices`);
  if (deepLink.status === 404) {
    await page.route(`${env.PM_CONSOLE_URL}/devices`, async (route) =>
      route.fulfill({ response: await route.fetch({ url: `${env.PM_CONSOLE_URL}/` }) }),
    );
  }
  const log = listDevicesDurations();
  await page.goto(`${env.PM_CONSOLE_URL}/devices`);
  await page.getByRole("heading", { name: "Devices" }).waitFor();
  await page.waitForFunction(() => window.pmProbe?.firstRowMs !== null);
  const probe = await page.evaluate(() => window.pmProbe);
  const api = listDevicesDurations(log.lines).durations;
  console.log(
    `cold load of /devices: first row painted ${probe.firstRowMs.toFixed(0)} ms after navigation start` +
      ` (first paint ${probe.paints["first-paint"]?.toFixed(0)} ms, first contentful paint` +
      ` ${probe.paints["first-contentful-paint"]?.toFixed(0)} ms; ListDevices in pm-control:` +
      ` ${api.map((ms) => ms.toFixed(1)).join(", ")} ms)`,
  );
  return { page, firstRowMs: probe.firstRowMs };
}

test(`the devices page with ${count} devices is paged and paints its first row within 1 s`, { timeout: 60_000 }, async () => {
  // The median of three cold loads: one load on this 2-core machine can meet a burst of
  // another process; three that all miss mean the page is slow.
  const loads = [];
  for (let i = 0; i < 3; i++) {
    loads.push(await coldLoad());
    if (i < 2) await loads[i].page.context().close();
  }
  const times = loads.map((load) => load.firstRowMs).sort((a, b) => a - b);
  console.log(`first row painted after navigation: median ${times[1].toFixed(0)} ms of ${times.map((ms) => ms.toFixed(0)).join(", ")}`);
  assert.ok(
    times[1] < firstPaintBoundMs,
    `the first devices row was painted a median ${times[1].toFixed(0)} ms after navigation; the bound is ${firstPaintBoundMs} ms`,
  );
  const page = loads[2].page;

  // Paged: 50 rows in the document, the total from the API, not 10,000 rows.
  const rows = page.locator(rowSelector);
  assert.equal(await rows.count(), pageSize);
  assert.equal(await page.locator("tr").count(), pageSize + 1, "only the header and one page of rows are in the DOM");
  await page.getByRole("navigation", { name: "Pages" }).getByText(`${pageSize} shown of ${total}`).waitFor();
  const firstPage = await rows.allTextContents();

  // The next page: from the click to its first row on screen.
  const nextMs = await page.evaluate(timeNextPage, rowSelector);
  console.log(`next page: first row painted ${nextMs.toFixed(0)} ms after the click`);
  assert.ok(nextMs < firstPaintBoundMs, `the next page took ${nextMs.toFixed(0)} ms; the bound is ${firstPaintBoundMs} ms`);
  assert.equal(await rows.count(), pageSize);
  const secondPage = await rows.allTextContents();
  assert.notDeepEqual(secondPage, firstPage, "the next page shows other devices");
  assert.ok(await page.getByRole("button", { name: "Previous" }).isEnabled());

  await checkAccessibility(page, "devices at scale");
  await screenshot(page, "devices-10000");
  assertNoPageErrors(page);
});

test("from the overview, the Devices link shows the first page within 1 s", { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  const link = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Devices" });
  // Timed in the page, from the click to the first row on screen, without the driver's latency.
  const ms = await link.evaluate(
    (element, selector) =>
      new Promise((resolve) => {
        const started = performance.now();
        const observer = new MutationObserver(() => {
          if (!document.querySelector(selector)) return;
          observer.disconnect();
          requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - started)));
        });
        observer.observe(document.body, { childList: true, subtree: true });
        element.click();
      }),
    rowSelector,
  );
  console.log(`overview -> devices: first row painted ${ms.toFixed(0)} ms after the click`);
  assert.ok(ms < firstPaintBoundMs, `the devices page took ${ms.toFixed(0)} ms; the bound is ${firstPaintBoundMs} ms`);
  assert.equal(await page.locator(rowSelector).count(), pageSize);
  assertNoPageErrors(page);
});
