// Actions, action sets and definitions: the type-driven action form, the API's refusal shown
// in it, members added from the picker and reordered by keyboard and by drag-and-drop (the
// order surviving a round trip), and a definition made of a set.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, assertNoPageErrors, checkAccessibility, launchBrowser, newPage, screenshot, signIn, token } from "./lib.mjs";

let browser;
before(async () => (browser = await launchBrowser()));
after(async () => browser?.close());

// The stack is shared by every test file, so names carry a run-unique suffix.
const run = Date.now().toString(36);

async function openNav(page, name) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

async function memberNames(page) {
  return page.locator("ol.members li .member-name a").allTextContents();
}

test("a shell-script action made through the form is listed, and the type filter narrows the list", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await openNav(page, "Actions");
  await page.getByRole("link", { name: "New action" }).click();
  await page.getByRole("heading", { name: "New action" }).waitFor();
  assert.equal(await page.getByLabel("Type").inputValue(), "200", "a new action starts as a shell script");
  await checkAccessibility(page, "new action");
  await screenshot(page, "action-new");

  const name = `Say hello ${run}`;
  await page.getByLabel("Name (required)").fill(name);
  await page.getByLabel("Description").fill("Greets the log");
  await page.getByLabel("Script (required)").fill("#!/bin/sh\necho \"$GREETING from $(hostname)\"");
  await page.getByLabel("Environment variables").fill("GREETING=hello");
  await page.getByLabel("Run as root").check();
  await page.getByRole("button", { name: "Create action" }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  assert.match(page.url(), /\/actions\/[0-9A-Z]{26}$/);

  // What the API stored is what the form said.
  const id = page.url().split("/").pop();
  const { action } = await api("GetAction", { id }, await token());
  assert.equal(action.type, "ACTION_TYPE_SHELL");
  assert.equal(action.description, "Greets the log");
  assert.equal(action.shell.runAsRoot, true);
  assert.deepEqual(action.shell.environment, { GREETING: "hello" });
  await checkAccessibility(page, "action editor");
  await screenshot(page, "action-editor");

  // An edit goes through the rename and params RPCs and shows it was saved.
  await page.getByLabel("Name (required)").fill(`${name} (edited)`);
  await page.getByLabel("Timeout (seconds)").fill("120");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  const edited = (await api("GetAction", { id }, await token())).action;
  assert.equal(edited.name, `${name} (edited)`);
  assert.equal(edited.timeoutSeconds, 120);

  await page.getByRole("link", { name: "All actions" }).click();
  const row = page.getByRole("table", { name: "Actions" }).getByRole("row").filter({ hasText: `${name} (edited)` });
  await row.waitFor();
  assert.match(await row.innerText(), /Shell script/);
  await checkAccessibility(page, "actions");
  await screenshot(page, "actions");

  await page.getByLabel("Type").selectOption({ label: "Systemd unit" });
  await page.waitForURL(/type=ACTION_TYPE_SYSTEMD/);
  await page.getByRole("row").filter({ hasText: name }).waitFor({ state: "detached" });
  for (const text of await page.locator("table tbody tr td:nth-child(2)").allTextContents()) {
    assert.equal(text, "Systemd unit", "the filter shows only systemd units");
  }
  assertNoPageErrors(page);
});

test("a file action with a relative path shows the API's refusal in the form", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await openNav(page, "Actions");
  await page.getByRole("link", { name: "New action" }).click();
  await page.getByLabel("Type").selectOption({ label: "File" });
  await page.getByLabel("Name (required)").fill(`Message of the day ${run}`);
  // The form lets a relative path through; the contract (startswith=/) does not.
  await page.getByLabel("Path (required)").fill("etc/motd");
  await page.getByLabel("Content").fill("Managed by Power Manage");
  await page.getByRole("button", { name: "Create action" }).click();
  await page.getByRole("alert").filter({ hasText: /file\.path must start with "\/"/ }).waitFor();
  assert.match(page.url(), /\/actions\/new$/, "nothing was created");
  // The field the API named says so too, and has the keyboard.
  const path = page.getByLabel("Path (required)");
  assert.equal(await path.getAttribute("aria-invalid"), "true");
  await page.waitForFunction(() => document.activeElement?.id === "params-file-path");
  assert.match(await page.locator("#params-file-path-error").innerText(), /^Must start with "\/"$/);
  await checkAccessibility(page, "action form with an error");
  await screenshot(page, "action-error");

  await page.getByLabel("Path (required)").fill("/etc/motd");
  await page.getByRole("button", { name: "Create action" }).click();
  await page.getByRole("heading", { level: 1, name: `Message of the day ${run}` }).waitFor();
  assertNoPageErrors(page);
});

test("a set's members are added from the picker and reordered by keyboard and by drag, and the order persists", async () => {
  const admin = await token();
  const first = (await api("CreateAction", { name: `Install htop ${run}`, type: "ACTION_TYPE_PACKAGE", package: { name: "htop" } }, admin)).action;
  const second = (await api("CreateAction", { name: `Enable sshd ${run}`, type: "ACTION_TYPE_SYSTEMD", systemd: { unitName: "sshd.service", desiredState: "SYSTEMD_UNIT_STATE_STARTED", enable: true } }, admin)).action;

  const page = await newPage(browser);
  await signIn(page);
  await openNav(page, "Action sets");
  await checkAccessibility(page, "action sets");
  const setName = `Base tools ${run}`;
  await page.getByLabel("Name of a new action set").fill(setName);
  await page.getByRole("button", { name: "Create action set" }).click();
  await page.getByRole("heading", { level: 1, name: setName }).waitFor();
  const setId = page.url().split("/").pop();
  await page.getByText(/has no actions yet/).waitFor();

  for (const action of [first, second]) {
    await page.getByLabel("Action to add").selectOption({ value: action.id });
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.locator("ol.members li .member-name a", { hasText: action.name }).waitFor();
  }
  assert.deepEqual(await memberNames(page), [first.name, second.name]);

  // The keyboard way: the button keeps focus on the row it moved.
  await page.getByRole("button", { name: `Move ${second.name} up` }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("status").filter({ hasText: `Moved ${second.name} to position 1 of 2.` }).waitFor();
  await page.waitForFunction((names) => [...document.querySelectorAll("ol.members li .member-name a")].map((a) => a.textContent).join("|") === names, [second.name, first.name].join("|"));
  await page.waitForFunction((id) => document.activeElement?.id === id, `move-down-${second.id}`, { timeout: 5000 });
  await checkAccessibility(page, "action set");
  await screenshot(page, "action-set");

  // Away and back: the order comes from the API.
  await openNav(page, "Actions");
  await openNav(page, "Action sets");
  await page.getByRole("link", { name: setName }).click();
  await page.locator("ol.members li").nth(1).waitFor();
  assert.deepEqual(await memberNames(page), [second.name, first.name]);

  // The mouse way: drag the first action back onto the top row.
  await page.locator("li.member", { hasText: first.name }).dragTo(page.locator("li.member", { hasText: second.name }));
  await page.getByRole("status").filter({ hasText: `Moved ${first.name} to position 1 of 2.` }).waitFor();
  await openNav(page, "Definitions");
  await openNav(page, "Action sets");
  await page.getByRole("link", { name: setName }).click();
  await page.locator("ol.members li").nth(1).waitFor();
  assert.deepEqual(await memberNames(page), [first.name, second.name]);
  const { members } = await api("GetActionSet", { id: setId }, admin);
  assert.deepEqual(members.map((member) => member.actionId), [first.id, second.id]);

  // The list shows the set with its size.
  await openNav(page, "Action sets");
  const row = page.getByRole("table", { name: "Action sets" }).getByRole("row").filter({ hasText: setName });
  assert.match(await row.innerText(), /\b2\b/);
  await screenshot(page, "action-sets");
  assertNoPageErrors(page);
});

test("a definition holds a set, and its name and description can be changed", async () => {
  const admin = await token();
  const set = (await api("CreateActionSet", { name: `Workstation basics ${run}` }, admin)).set;
  const page = await newPage(browser);
  await signIn(page);
  await openNav(page, "Definitions");
  await checkAccessibility(page, "definitions");
  const name = `Developer laptop ${run}`;
  await page.getByLabel("Name of a new definition").fill(name);
  await page.getByLabel("Description").fill("Everything a developer needs");
  await page.getByRole("button", { name: "Create definition" }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  const id = page.url().split("/").pop();

  await page.getByLabel("Action set to add").selectOption({ value: set.id });
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.locator("ol.members li .member-name a", { hasText: set.name }).waitFor();
  const { members } = await api("GetDefinition", { id }, admin);
  assert.deepEqual(members.map((member) => member.actionSetId), [set.id]);

  await page.getByLabel("Name", { exact: true }).fill(`${name} v2`);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: `${name} v2` }).waitFor();
  await checkAccessibility(page, "definition");
  await screenshot(page, "definition");

  await openNav(page, "Definitions");
  await page.getByRole("table", { name: "Definitions" }).getByRole("link", { name: `${name} v2` }).waitFor();
  await screenshot(page, "definitions");

  // Removing the member, then the definition itself (after the confirmation).
  await page.getByRole("link", { name: `${name} v2` }).click();
  await page.getByRole("button", { name: `Remove ${set.name}` }).click();
  await page.getByText("This definition has no action sets yet.").waitFor();
  assert.deepEqual((await api("GetDefinition", { id }, admin)).members ?? [], [], "JSON leaves out an empty list");
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("heading", { level: 1, name: "Definitions" }).waitFor();
  await page.getByRole("link", { name: `${name} v2` }).waitFor({ state: "detached" });
  await assert.rejects(api("GetDefinition", { id }, admin), /404|not.found/i);
  assertNoPageErrors(page);
});

test("every action type has a parameters form, and nested repository blocks reach the API", async () => {
  const page = await newPage(browser);
  await signIn(page);
  await openNav(page, "Actions");
  await page.getByRole("link", { name: "New action" }).click();
  const types = await page.getByLabel("Type").locator("option").allTextContents();
  assert.ok(types.length >= 11, `every type of the contract is offered: ${types.join(", ")}`);
  for (const label of types) {
    await page.getByLabel("Type").selectOption({ label });
    const section = page.locator("fieldset.section").filter({ has: page.locator("legend", { hasText: `${label} parameters` }) });
    await section.waitFor();
    assert.ok((await section.locator("input, textarea, select").count()) > 0, `${label} has fields`);
  }

  await page.getByLabel("Type").selectOption({ label: "Package repository" });
  const name = `Vendor repo ${run}`;
  await page.getByLabel("Name (required)", { exact: true }).fill(name);
  await page.getByLabel("Repository name (required)").fill("vendor");
  await page.getByLabel("Configure APT").check();
  await page.locator("#params-repository-apt-url").fill("https://apt.example.com/debian");
  await page.locator("#params-repository-apt-components").fill("main contrib");
  await checkAccessibility(page, "repository form");
  await screenshot(page, "action-repository");
  await page.getByRole("button", { name: "Create action" }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  const { action } = await api("GetAction", { id: page.url().split("/").pop() }, await token());
  assert.equal(action.repository.name, "vendor");
  assert.equal(action.repository.apt.url, "https://apt.example.com/debian");
  assert.deepEqual(action.repository.apt.components, ["main", "contrib"]);
  assert.equal(action.repository.dnf, undefined, "blocks not configured are not sent");

  // The systemd form's enum reaches the API as the chosen state.
  await page.getByRole("link", { name: "All actions" }).click();
  await page.getByRole("link", { name: "New action" }).click();
  await page.getByLabel("Type").selectOption({ label: "Systemd unit" });
  await page.getByLabel("Name (required)", { exact: true }).fill(`Restart nginx ${run}`);
  await page.getByLabel("Unit name (required)").fill("nginx.service");
  await page.getByLabel("State to reach").selectOption({ label: "Restarted" });
  await page.getByRole("button", { name: "Create action" }).click();
  await page.getByRole("heading", { level: 1, name: `Restart nginx ${run}` }).waitFor();
  const unit = (await api("GetAction", { id: page.url().split("/").pop() }, await token())).action;
  assert.equal(unit.systemd.desiredState, "SYSTEMD_UNIT_STATE_RESTARTED");
  assertNoPageErrors(page);
});

test("the actions list pages through a filtered type 50 at a time", async () => {
  const admin = await token();
  const made = [];
  try {
    for (let i = 0; i < 55; ++i) {
      const name = `Flatpak ${String(i).padStart(2, "0")} ${run}`;
      made.push((await api("CreateAction", { name, type: "ACTION_TYPE_FLATPAK", flatpak: { appId: `org.example.App${i}` } }, admin)).action.id);
    }
    const page = await newPage(browser);
    await signIn(page);
    await openNav(page, "Actions");
    await page.getByLabel("Type").selectOption({ label: "Flatpak" });
    const rows = page.getByRole("table", { name: "Actions" }).locator("tbody tr");
    await page.getByText("50 shown of 55").waitFor();
    assert.equal(await rows.count(), 50);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByText("5 shown of 55").waitFor();
    assert.equal(await rows.count(), 5);
    assert.ok(await page.getByRole("button", { name: "Next" }).isDisabled(), "the last page has no next");
    await page.getByRole("button", { name: "Previous" }).click();
    await page.getByText("50 shown of 55").waitFor();
    assertNoPageErrors(page);
  } finally {
    // Other test files share the stack: leave the unfiltered list as it was.
    for (const id of made) await api("DeleteAction", { id }, admin);
  }
});
