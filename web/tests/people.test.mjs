// Registration tokens, users, the device page and the user role's own view, against the
// simulated fleet: what an administrator sets up and what a user then sees.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  api,
  assertNoPageErrors,
  checkAccessibility,
  launchBrowser,
  newPage,
  screenshot,
  signIn,
  stackEnv,
  token,
} from "./lib.mjs";

let browser;
let admin;
before(async () => {
  browser = await launchBrowser();
  admin = await token();
});
after(async () => browser?.close());

const unique = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** Opens a page through the navigation (deep links 404 until pm-control serves the SPA fallback). */
async function openNav(page, name, heading = name) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/** Creates a shell action as the admin and assigns it to `device` in `mode`; returns CreateAction's answer. */
async function assignShellAction(device, mode, { name, description, script }) {
  const action = await api("CreateAction", { name, description, type: "ACTION_TYPE_SHELL", shell: { script } }, admin);
  await api("CreateAssignment", {
    sourceType: "action",
    sourceId: action.action.id,
    targetType: "device",
    targetId: device.id,
    mode,
  }, admin);
  return action;
}

/** Opens the device page of `device` from the devices list, searching by host name. */
async function openDevice(page, device) {
  await openNav(page, "Devices");
  await page.getByRole("searchbox", { name: "Search this page" }).fill(device.id);
  await page.getByRole("table", { name: "Devices" }).getByRole("link", { name: device.hostname }).click();
  await page.getByRole("heading", { level: 1, name: device.hostname }).waitFor();
}

/** A device enrolled for the test with its own token (a real Register with a CSR), not connected. */
async function enrolThrowawayDevice(hostname) {
  const created = await api("CreateToken", { name: `p3 ${hostname}`, maxUses: 1, oneTime: true }, admin);
  const csr = execFileSync("openssl", [
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-subj", `/CN=${hostname}`, "-keyout", "/dev/null",
  ], { stdio: ["ignore", "pipe", "ignore"] });
  const registered = await api("Register", {
    token: created.token.value,
    hostname,
    agentVersion: "test",
    csr: csr.toString("base64"),
  });
  return { id: registered.deviceId.value, hostname };
}

test("the bootstrap admin of a new installation is asked to change the setup password", async () => {
  const alone = (await api("ListUsers", { pageSize: 1 }, admin)).totalCount === 1;
  const page = await newPage(browser);
  await signIn(page);
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
  const notice = page.getByRole("complementary", { name: "Change the setup password" });
  if (!alone) {
    // Other tests created users first: this is no longer a new installation.
    await page.waitForTimeout(500);
    assert.equal(await notice.count(), 0);
    return;
  }
  await notice.waitFor();
  await checkAccessibility(page, "first sign-in");
  await screenshot(page, "first-sign-in");
  await notice.getByRole("link", { name: "Change your password" }).click();
  await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
  await notice.getByRole("button", { name: "Dismiss" }).click();
  await notice.waitFor({ state: "detached" });
  // Remembered in this browser: not shown again after a reload.
  await page.goto(stackEnv().PM_CONSOLE_URL + "/");
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
  await page.waitForTimeout(500);
  assert.equal(await notice.count(), 0);
  assertNoPageErrors(page);
});

test("a registration token's secret and enrolment command are shown once", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await openNav(page, "Registration tokens");
  await checkAccessibility(page, "registration tokens");
  const name = `office laptops ${unique()}`;
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Maximum uses").fill("5");
  await page.getByRole("button", { name: "Create token" }).click();
  const panel = page.getByRole("region", { name: `Registration token "${name}" created` });
  await panel.waitFor();
  const secret = (await page.locator("#new-token-secret").textContent()).trim();
  assert.ok(secret.length >= 20, `a secret is shown: ${secret}`);
  const command = await page.locator("#new-token-command").textContent();
  const origin = stackEnv().PM_CONSOLE_URL;
  assert.match(command, /pm-agent --state-dir \/var\/lib\/pm-agent/);
  assert.ok(command.includes(`--control-url ${origin}`), `the command names this server: ${command}`);
  assert.ok(command.includes(`--token '${secret}'`), `the command carries the secret: ${command}`);
  // Copy puts the command on the clipboard, or (without clipboard access) selects it for Ctrl+C.
  await panel.getByRole("button", { name: "Copy" }).nth(1).click();
  const said = await panel.getByRole("status").filter({ hasText: /Copied|Selected/ }).textContent();
  if (said.startsWith("Selected")) {
    assert.equal((await page.evaluate(() => window.getSelection().toString())).trim(), command.trim());
  }
  await checkAccessibility(page, "registration token created");
  await screenshot(page, "registration-token-created");

  // The API lists it with its limits and without its value.
  const listed = (await api("ListTokens", { pageSize: 100, includeDisabled: true }, admin)).tokens.find((t) => t.name === name);
  assert.ok(listed, "the token is listed");
  assert.equal(listed.maxUses, 5);
  assert.equal(listed.value, undefined);

  await page.getByRole("button", { name: "I have copied it" }).click();
  await panel.waitFor({ state: "detached" });
  const row = page.getByRole("table", { name: "Registration tokens" }).getByRole("row").filter({ hasText: name });
  await row.getByText("0 of 5").waitFor();
  // Back through the start page: the secret is nowhere any more.
  await page.goto(origin + "/");
  await openNav(page, "Registration tokens");
  await row.waitFor();
  assert.equal(await page.getByText(secret).count(), 0, "the secret is gone after a reload");
  assert.ok(!(await page.content()).includes(secret));

  // Rename and disable, as the API then reports.
  await row.getByRole("button", { name: `Rename ${name}` }).click();
  await page.getByLabel(`New name for ${name}`).fill(`${name} renamed`);
  await page.getByRole("button", { name: "Save" }).click();
  const renamed = page.getByRole("table", { name: "Registration tokens" }).getByRole("row").filter({ hasText: `${name} renamed` });
  await renamed.getByRole("button", { name: `Disable ${name} renamed` }).click();
  await renamed.getByText("disabled").waitFor();
  const after = await api("GetToken", { id: listed.id }, admin);
  assert.equal(after.token.name, `${name} renamed`);
  assert.equal(after.token.disabled, true);
  await screenshot(page, "registration-tokens");
  assertNoPageErrors(page);
});

test("a user sees exactly the devices assigned to them, one assigned on the device page", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await openNav(page, "Users");
  const email = `user-${unique()}@example.com`;
  const password = "user-password-1";
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Initial password").fill(password);
  await page.getByLabel("Role", { exact: true }).selectOption("user");
  await page.getByRole("button", { name: "Create user" }).click();
  const userRow = page.getByRole("table", { name: "Users" }).getByRole("row").filter({ hasText: email });
  await userRow.waitFor();
  await userRow.getByText("user", { exact: true }).waitFor();
  // Role changes there and back, as the API then reports.
  await userRow.getByRole("button", { name: `Make ${email} an admin` }).click();
  await userRow.getByRole("button", { name: `Make ${email} a user` }).click();
  await userRow.getByRole("button", { name: `Make ${email} an admin` }).waitFor();

  // You cannot delete yourself: the API's refusal is shown.
  const me = page.getByRole("table", { name: "Users" }).getByRole("row").filter({ hasText: "(you)" });
  page.once("dialog", (dialog) => dialog.accept());
  await me.getByRole("button", { name: "Delete" }).click();
  const refusal = await me.getByRole("alert").textContent();
  assert.ok(refusal.length > 10, `the API's message: ${refusal}`);
  await checkAccessibility(page, "users");
  await screenshot(page, "users");

  const fleet = (await api("ListDevices", { pageSize: 100, statusFilter: "online" }, admin)).devices;
  const [first, second] = fleet.slice(-2);
  const users = (await api("ListUsers", { pageSize: 100 }, admin)).users;
  const user = users.find((u) => u.email === email);
  assert.equal(user.role, "user");

  // The first through the device page, the second through the API.
  await openDevice(page, first);
  await page.getByRole("combobox", { name: "Assigned user" }).selectOption({ label: `${email} (user)` });
  await page.getByRole("button", { name: "Assign", exact: true }).click();
  await page.locator("dl.facts").getByText(email).waitFor();
  await api("AssignDevice", { deviceId: second.id, userId: user.id }, admin);
  assert.equal((await api("GetDevice", { id: first.id }, admin)).device.assignedUserId, user.id);

  const userPage = await newPage(browser);
  await signIn(userPage, email, password);
  await userPage.getByRole("heading", { level: 1, name: "My devices" }).waitFor();
  const rows = userPage.getByRole("table", { name: "Devices" }).locator("tbody tr");
  await rows.nth(1).waitFor();
  assert.deepEqual(
    (await rows.getByRole("link").allTextContents()).sort(),
    [first.hostname, second.hostname].sort(),
  );
  const nav = await userPage.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents();
  assert.deepEqual(nav, ["My devices", "My actions", "Executions"]);
  await checkAccessibility(userPage, "my devices");
  await screenshot(userPage, "my-devices");

  // Their device's page answers them (read-only: no delete, no label editing).
  await userPage.getByRole("table", { name: "Devices" }).getByRole("link", { name: first.hostname }).click();
  await userPage.getByRole("heading", { level: 1, name: first.hostname }).waitFor();
  await userPage.getByRole("heading", { name: "Recent executions" }).waitFor();
  await userPage.getByText("Nothing is assigned to this device.").waitFor();
  assert.equal(await userPage.getByRole("alert").count(), 0, "no refusal on the user's own device page");
  assert.equal(await userPage.getByRole("button", { name: "Delete device" }).count(), 0);
  await checkAccessibility(userPage, "my device");
  await screenshot(userPage, "my-device");
  await openNav(userPage, "My devices");

  // Unassigning on the device page takes it away from the user's list.
  await openDevice(page, second);
  await page.getByRole("button", { name: "Unassign" }).click();
  await page.locator("dl.facts").getByText("nobody").waitFor();
  await userPage.goto(stackEnv().PM_CONSOLE_URL + "/");
  await userPage.getByRole("heading", { level: 1, name: "My devices" }).waitFor();
  await userPage.getByRole("table", { name: "Devices" }).getByRole("link", { name: first.hostname }).waitFor();
  assert.deepEqual(await rows.getByRole("link").allTextContents(), [first.hostname]);
  assert.equal((await api("ListDevices", { pageSize: 100 }, await token(email, password))).totalCount, 1);
  assertNoPageErrors(page);
  assertNoPageErrors(userPage);
});

test("a user chooses an available action for their device and changes their password", async () => {
  const email = `chooser-${unique()}@example.com`;
  const password = "chooser-password";
  const created = await api("CreateUser", { email, password, role: "user" }, admin);
  const device = (await api("ListDevices", { pageSize: 100, statusFilter: "online" }, admin)).devices.at(-3);
  await api("AssignDevice", { deviceId: device.id, userId: created.user.id }, admin);
  const action = await assignShellAction(device, "ASSIGNMENT_MODE_AVAILABLE", {
    name: `Install the office suite ${unique()}`,
    description: "Word processing and spreadsheets.",
    script: "true",
  });

  const page = await newPage(browser);
  await signIn(page, email, password);
  await openNav(page, "My actions");
  const item = page.getByRole("listitem").filter({ hasText: action.action.name });
  await item.getByText("not chosen").waitFor();
  await checkAccessibility(page, "my actions");
  await item.getByRole("button", { name: "Install on this device" }).click();
  await item.getByText("chosen", { exact: true }).waitFor();
  await screenshot(page, "my-actions");
  const catalogue = await api("ListAvailableActions", { deviceId: device.id }, await token(email, password));
  assert.equal(catalogue.items.find((entry) => entry.sourceId === action.action.id).selected, true);

  // The account page: a wrong current password is refused with the API's words, the right one works.
  await page.getByRole("link", { name: "Account" }).click();
  await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
  await page.getByLabel("Current password").fill("not-my-password");
  await page.getByLabel("New password", { exact: true }).fill("a-new-password");
  await page.getByLabel("New password again").fill("a-new-password");
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByRole("alert").first().waitFor();
  await checkAccessibility(page, "account");
  await screenshot(page, "account-refused");
  await page.getByLabel("Current password").fill(password);
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByText("Your password was changed").waitFor();
  await screenshot(page, "account");
  await assert.rejects(token(email, password));
  assert.ok(await token(email, "a-new-password"));
  assertNoPageErrors(page);
});

test("labels edited on the device page persist", async () => {
  const page = await newPage(browser);
  await signIn(page);
  const device = (await api("ListDevices", { pageSize: 100, statusFilter: "online" }, admin)).devices[0];
  // Something applied and something run, so the page shows them.
  const action = await assignShellAction(device, "ASSIGNMENT_MODE_PRESENT", {
    name: `Rotate the logs ${unique()}`,
    script: "echo rotated",
  });
  const execution = await api("DispatchAction", { deviceId: device.id, actionId: action.action.id }, admin);
  const group = await api("CreateDeviceGroup", { name: `Front desk ${unique()}`, description: "static" }, admin);
  await openDevice(page, device);
  await page.getByRole("table", { name: "Resolved assignments" }).getByText(action.action.name).waitFor();
  const ran = page.getByRole("table", { name: "Recent executions" }).getByRole("row").filter({ hasText: action.action.name });
  await ran.getByRole("link", { name: execution.execution.id.slice(-8) }).waitFor();

  // Joining a static group from the device page.
  await page.getByRole("combobox", { name: "Add to group" }).selectOption({ label: group.group.name });
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("list", { name: "Groups of this device" }).getByRole("link", { name: group.group.name }).waitFor();
  assert.ok((await api("GetDeviceGroup", { id: group.group.id }, admin)).deviceIds.includes(device.id));
  const key = `room${unique()}`;
  await page.getByLabel("New label key").fill(key);
  await page.getByLabel("Value", { exact: true }).fill("berlin");
  await page.getByRole("button", { name: "Add label" }).click();
  const value = page.getByRole("table", { name: "Labels" }).getByRole("textbox", { name: key, exact: true });
  await value.waitFor();
  assert.equal(await value.inputValue(), "berlin");
  await value.fill("hamburg");
  await value.press("Enter");
  await checkAccessibility(page, "device");
  await screenshot(page, "device");

  // Persisted: the server has it, and the list shows it after leaving the page.
  for (let tries = 0; tries < 50; ++tries) {
    if ((await api("GetDevice", { id: device.id }, admin)).device.labels?.[key] === "hamburg") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal((await api("GetDevice", { id: device.id }, admin)).device.labels[key], "hamburg");
  await openNav(page, "Devices");
  await page.getByRole("searchbox", { name: "Search this page" }).fill(device.id);
  await page.getByRole("table", { name: "Devices" }).getByText(`${key}=hamburg`).waitFor();

  await openDevice(page, device);
  await page.getByRole("button", { name: `Remove the label ${key}` }).click();
  await page.getByRole("table", { name: "Labels" }).getByRole("textbox", { name: key, exact: true }).waitFor({ state: "detached" });
  assert.equal((await api("GetDevice", { id: device.id }, admin)).device.labels?.[key], undefined);
  assertNoPageErrors(page);
});

test("deleting a device asks first, then removes it and returns to the list", async () => {
  const device = await enrolThrowawayDevice(`doomed-${unique()}`);
  const page = await newPage(browser);
  await signIn(page);
  await openDevice(page, device);
  let question = "";
  page.once("dialog", (dialog) => {
    question = dialog.message();
    void dialog.dismiss();
  });
  await page.getByRole("button", { name: "Delete device" }).click();
  assert.match(question, new RegExp(`Delete ${device.hostname}\\?`));
  assert.ok((await api("GetDevice", { id: device.id }, admin)).device, "a dismissed question deletes nothing");

  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name: "Delete device" }).click();
  await page.getByRole("heading", { level: 1, name: "Devices" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/devices");
  await assert.rejects(api("GetDevice", { id: device.id }, admin), /not_found/);
  await page.getByRole("searchbox", { name: "Search this page" }).fill(device.id);
  await page.getByText("No device matches these filters.").waitFor();
  assertNoPageErrors(page);
});
