// Device groups, dispatch, executions and assignments against the simulated fleet: a dynamic
// group of every agent (by a label set for this run), a shell command dispatched to it with
// every result arriving live, the executions' filters and detail, and an assignment made and
// removed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, assertNoPageErrors, checkAccessibility, launchBrowser, newPage, screenshot, signIn, stackEnv, token } from "./lib.mjs";

let browser;
let admin;
const agents = Number(stackEnv().PM_AGENTS);
// A label value of this run only, so the query matches exactly the simulated agents even when
// the stack is reused.
const fleet = `sim${Date.now().toString(36)}`;
const groupName = `Simulated fleet ${fleet}`;

before(async () => {
  browser = await launchBrowser();
  admin = await token();
  const { devices } = await api("ListDevices", { pageSize: 100 }, admin);
  assert.equal(devices.length, agents, "every simulated agent is enrolled");
  await Promise.all(devices.map((device) => api("SetDeviceLabel", { id: device.id, key: "fleet", value: fleet }, admin)));
});
after(async () => browser?.close());

/** Opens a page from the navigation (deep links are not served before the SPA fallback lands). */
async function open(page, nav, heading) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: nav, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: heading ?? nav }).waitFor();
}

test("the query editor says what is wrong or how many devices match, and saves a dynamic group", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await open(page, "Device groups");
  await page.getByRole("link", { name: "New group" }).click();
  await page.getByRole("heading", { name: "New device group" }).waitFor();
  await page.getByLabel("Name").fill(groupName);
  await page.getByLabel("Description").fill("every simulated agent, by label");
  await page.getByLabel(/^Dynamic/).check();

  const query = page.getByLabel("Membership query");
  const verdict = page.locator("#group-query-check");
  await query.fill("labels.fleet equals");
  await verdict.getByText(/expected a value after 'equals'/).waitFor();
  assert.equal(await query.getAttribute("aria-invalid"), "true");
  assert.ok(await page.getByRole("button", { name: "Create group" }).isDisabled(), "an invalid query cannot be saved");
  await checkAccessibility(page, "new group, invalid query");
  await screenshot(page, "group-new-invalid");

  await query.fill(`labels.fleet equals ${fleet}`);
  await verdict.getByText(new RegExp(`matches ${agents} devices`)).waitFor();
  await screenshot(page, "group-new");
  await page.getByRole("button", { name: "Create group" }).click();

  await page.getByRole("heading", { level: 1, name: groupName }).waitFor();
  const members = page.getByRole("table", { name: "Members" }).locator("tbody tr");
  await members.nth(agents - 1).waitFor();
  assert.equal(await members.count(), agents);
  await page.locator("#group-query-check").getByText(new RegExp(`matches ${agents} devices`)).waitFor();
  await checkAccessibility(page, "group editor");
  await screenshot(page, "group-detail");
  await page.getByRole("button", { name: "Re-evaluate now" }).click();
  await page.getByText(`Evaluated: 0 joined, 0 left; ${agents} members now.`).waitFor();

  await open(page, "Device groups");
  const row = page.getByRole("table", { name: "Device groups" }).getByRole("row").filter({ hasText: groupName });
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(`dynamic[\\s\\S]*\\b${agents}\\b`));
  await checkAccessibility(page, "device groups");
  await screenshot(page, "groups");
  assertNoPageErrors(page);
});

test("a shell command dispatched to the group shows every execution's result arrive", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await open(page, "Dispatch");
  await page.getByLabel("Command", { exact: true }).fill("echo hello from the console");
  await page.getByLabel("A device group").check();
  await page.getByLabel("Group", { exact: true }).selectOption({ label: `${groupName} (${agents} devices)` });
  await checkAccessibility(page, "dispatch form");
  await page.getByRole("button", { name: "Run now" }).click();

  const rows = page.getByRole("table", { name: "Executions of this dispatch" }).locator("tbody tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), agents, "a row per device of the group");
  await page.getByText(new RegExp(`^${agents} of ${agents} done`)).waitFor({ timeout: 30000 });
  assert.equal(await rows.filter({ hasText: "succeeded" }).count(), agents, "every row is final and succeeded");
  assert.equal(await rows.filter({ hasText: /pending|running/ }).count(), 0);
  assert.equal(await rows.filter({ hasText: "simulated run of" }).count(), agents, "each row shows its output");
  assert.equal(await page.getByText("Waiting for results…").count(), 0, "the progress indicator stops");
  await checkAccessibility(page, "dispatch results");
  await screenshot(page, "dispatch");
  assertNoPageErrors(page);
});

test("executions filter by state and device, and an execution shows its output", async () => {
  const { devices } = await api("ListDevices", { pageSize: 1 }, admin);
  const device = devices[0];
  await api(
    "DispatchAction",
    { deviceId: device.id, inlineAction: { id: { value: "01KZZZZZZZZZZZZZZZZZZZZZZZ" }, type: "ACTION_TYPE_SHELL", shell: { script: "true" } } },
    admin,
  );
  const page = await newPage(browser);
  await signIn(page);
  await open(page, "Executions");
  const rows = page.getByRole("table", { name: "Executions" }).locator("tbody tr");
  await rows.first().waitFor();
  await checkAccessibility(page, "executions");
  await screenshot(page, "executions");

  await page.getByLabel("State").selectOption("failed");
  await page.getByText("No execution matches these filters.").waitFor();
  assert.match(page.url(), /status=failed/);

  await page.getByLabel("State").selectOption("succeeded");
  await rows.first().waitFor();
  assert.ok((await rows.count()) > 0);
  assert.equal(await rows.filter({ hasText: "succeeded" }).count(), await rows.count(), "only succeeded executions");

  await page.getByLabel("Device").selectOption(device.id);
  await page.waitForURL(/device=/);
  await page.waitForFunction(
    (host) => {
      const cells = [...document.querySelectorAll("table[aria-label=Executions] tbody tr td:nth-child(2)")];
      return cells.length > 0 && cells.every((cell) => cell.textContent === host);
    },
    device.hostname,
  );
  assert.ok((await rows.count()) >= 2, "the group dispatch and the direct one on this device");

  await rows.first().getByRole("link").first().click();
  await page.getByRole("heading", { level: 1, name: `shell on ${device.hostname}` }).waitFor();
  await page.getByRole("region", { name: "Standard output" }).getByText("simulated run of").waitFor();
  await checkAccessibility(page, "execution");
  await screenshot(page, "execution");
  assertNoPageErrors(page);
});

test("an assignment is created with its mode, listed and deleted", async () => {
  const actionName = `Check disk ${fleet}`;
  await api(
    "CreateAction",
    { name: actionName, type: "ACTION_TYPE_SHELL", shell: { script: "df -h /", interpreter: "/bin/sh" } },
    admin,
  );
  const page = await newPage(browser);
  page.on("dialog", (dialog) => void dialog.accept());
  await signIn(page);
  await open(page, "Assignments");
  await page.getByLabel("What", { exact: true }).selectOption({ label: actionName });
  await page.getByLabel("To a").selectOption("device_group");
  await page.getByLabel("Group", { exact: true }).selectOption({ label: `${groupName} (${agents} devices)` });
  await page.getByLabel("Mode").selectOption({ label: "available" });
  await page.getByRole("button", { name: "Assign" }).click();
  const row = page.getByRole("table", { name: "Current assignments" }).getByRole("row").filter({ hasText: actionName });
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(`Action\\s+${actionName}[\\s\\S]*Group\\s+${groupName}[\\s\\S]*available`));
  const { assignments } = await api("ListAssignments", { sourceType: "action" }, admin);
  assert.ok(assignments.some((item) => item.targetType === "device_group" && item.mode === "ASSIGNMENT_MODE_AVAILABLE"));
  await checkAccessibility(page, "assignments");
  await screenshot(page, "assignments");

  await row.getByRole("button", { name: "Delete" }).click();
  await row.waitFor({ state: "detached" });
  assertNoPageErrors(page);
});

test("a static group gets devices added and removed by hand", async () => {
  const { devices } = await api("ListDevices", { pageSize: 2 }, admin);
  const page = await newPage(browser);
  await signIn(page);
  await open(page, "Device groups");
  await page.getByRole("link", { name: "New group" }).click();
  const name = `Hand-picked ${fleet}`;
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create group" }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  await page.getByText("This group has no devices.").waitFor();

  for (const device of devices) {
    await page.getByLabel("Find a device").fill(device.hostname);
    await page.getByLabel("Device to add").selectOption(device.id);
    await page.getByRole("button", { name: "Add to group" }).click();
    await page.getByRole("table", { name: "Members" }).getByRole("link", { name: device.hostname }).waitFor();
  }
  const members = page.getByRole("table", { name: "Members" }).locator("tbody tr");
  assert.equal(await members.count(), 2);
  await checkAccessibility(page, "static group");
  await screenshot(page, "group-static");

  await page.getByRole("button", { name: `Remove ${devices[0].hostname} from the group` }).click();
  await page.getByRole("table", { name: "Members" }).getByRole("link", { name: devices[0].hostname }).waitFor({ state: "detached" });
  assert.equal(await members.count(), 1);
  const { groups } = await api("ListDeviceGroups", { pageSize: 100 }, admin);
  const stored = groups.find((group) => group.name === name);
  const { deviceIds } = await api("GetDeviceGroup", { id: stored.id }, admin);
  assert.deepEqual(deviceIds, [devices[1].id]);

  page.on("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name: "Delete group" }).click();
  await page.getByRole("heading", { level: 1, name: "Device groups" }).waitFor();
  await page.getByRole("table", { name: "Device groups" }).getByRole("link", { name: groupName }).waitFor();
  assert.equal(await page.getByRole("link", { name }).count(), 0, "the deleted group is gone from the list");
  assertNoPageErrors(page);
});

test("a command dispatched to several picked devices runs on exactly those", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await open(page, "Dispatch");
  await page.getByLabel("Command", { exact: true }).fill("hostname");
  await page.getByLabel("Several devices").check();
  const checks = page.getByRole("group", { name: /^Devices/ }).getByRole("checkbox");
  await checks.nth(agents - 1).waitFor();
  const picked = [];
  for (let i = 0; i < 3; ++i) {
    await checks.nth(i).check();
    picked.push((await checks.nth(i).locator("xpath=..").innerText()).split(/\s/)[0]);
  }
  await page.getByRole("group", { name: "Devices (3 picked)" }).waitFor();
  await checkAccessibility(page, "dispatch to several");
  await page.getByRole("button", { name: "Run now" }).click();
  await page.getByText(/^3 of 3 done/).waitFor({ timeout: 20000 });
  const rows = page.getByRole("table", { name: "Executions of this dispatch" }).locator("tbody tr");
  assert.equal(await rows.count(), 3);
  const hosts = (await rows.locator("td:first-child").allInnerTexts()).sort();
  assert.deepEqual(hosts, picked.sort());
  await screenshot(page, "dispatch-several");
  assertNoPageErrors(page);
});

test("a stored action is dispatched from the group's page to every member", async () => {
  const actionName = `Uptime ${fleet}`;
  await api("CreateAction", { name: actionName, type: "ACTION_TYPE_SHELL", shell: { script: "uptime" } }, admin);
  const page = await newPage(browser);
  await signIn(page);
  await open(page, "Device groups");
  await page.getByRole("table", { name: "Device groups" }).getByRole("link", { name: groupName }).click();
  await page.getByRole("heading", { level: 1, name: groupName }).waitFor();
  await page.getByRole("link", { name: "Dispatch to this group" }).click();
  await page.getByRole("heading", { level: 1, name: "Dispatch" }).waitFor();
  await page.getByLabel("A stored action, action set or definition").check();
  await page.getByLabel("Item").selectOption({ label: actionName });
  // The group's page preselects the group.
  assert.match(await page.getByLabel("Group", { exact: true }).locator("option:checked").innerText(), new RegExp(groupName));
  await page.getByRole("button", { name: "Run now" }).click();
  await page.getByText(new RegExp(`^${agents} of ${agents} done`)).waitFor({ timeout: 30000 });
  const rows = page.getByRole("table", { name: "Executions of this dispatch" }).locator("tbody tr");
  assert.equal(await rows.filter({ hasText: "succeeded" }).count(), agents);

  await open(page, "Executions");
  await page.getByRole("table", { name: "Executions" }).locator("tbody tr").first().getByText(actionName).waitFor();
  assertNoPageErrors(page);
});

test("a user sees the executions of their own devices only", async () => {
  const email = `user-${fleet}@example.com`;
  const password = "user-password-1";
  const { user } = await api("CreateUser", { email, password, role: "user" }, admin);
  const { devices } = await api("ListDevices", { pageSize: 1 }, admin);
  await api("AssignDevice", { deviceId: devices[0].id, userId: user.id }, admin);
  const page = await newPage(browser);
  await signIn(page, email, password);
  const nav = page.getByRole("navigation", { name: "Main" });
  assert.equal(await nav.getByRole("link", { name: "Dispatch" }).count(), 0, "no dispatch for users");
  await open(page, "Executions");
  const hosts = page.getByRole("table", { name: "Executions" }).locator("tbody tr td:nth-child(2)");
  await hosts.first().waitFor();
  assert.deepEqual([...new Set(await hosts.allInnerTexts())], [devices[0].hostname]);
  await checkAccessibility(page, "executions (user)");
  await screenshot(page, "executions-user");
  assertNoPageErrors(page);
});
