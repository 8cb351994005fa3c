// What the console knows about each action type beyond the contract: a name people use, the
// member of the `params` oneof it takes, and labels/hints for the fields worth explaining.
// The fields themselves come from the generated descriptors, so a type or field added to the
// contract gets a form without a change here.
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { ActionType, ActionTypeSchema } from "../gen/pm/v1/actions_pb";
import { CreateActionRequestSchema, type ManagedAction } from "../gen/pm/v1/control_pb";

/** How one field of a params message is presented. */
export interface FieldLook {
  /** The label (default: the field name in words). */
  label?: string;
  /** A hint under the field. */
  hint?: string;
  /** A placeholder showing the expected shape. */
  placeholder?: string;
  /** A multi-line text area instead of a one-line input (scripts, file bodies). */
  multiline?: boolean;
  /** The contract requires it (the form marks it; the API still decides). */
  required?: boolean;
}

/** One action type as the console shows it. */
export interface TypeInfo {
  /** The enum value. */
  type: ActionType;
  /** The name in lists and the type picker. */
  label: string;
  /** The member of the params oneof this type uses ("shell", "app", …). */
  paramsCase: string;
  /** The descriptor of that member's message, which drives the form. */
  schema: DescMessage;
  /** A sentence on what the type does. */
  summary: string;
}

// The contract documents which params member each type takes (actions.proto, ActionType);
// APP_IMAGE, DEB and RPM share `app`.
const known: Record<number, { label: string; paramsCase: string; summary: string }> = {
  [ActionType.PACKAGE]: { label: "Package", paramsCase: "package", summary: "Install or remove a distribution package (apt, dnf, pacman, zypper)." },
  [ActionType.UPDATE]: { label: "System update", paramsCase: "update", summary: "Upgrade every package, keeping pinned ones." },
  [ActionType.REPOSITORY]: { label: "Package repository", paramsCase: "repository", summary: "Configure an external repository for each package manager." },
  [ActionType.APP_IMAGE]: { label: "AppImage", paramsCase: "app", summary: "Download an AppImage and install it." },
  [ActionType.DEB]: { label: ".deb package", paramsCase: "app", summary: "Download a .deb file and install it." },
  [ActionType.RPM]: { label: ".rpm package", paramsCase: "app", summary: "Download an .rpm file and install it." },
  [ActionType.FLATPAK]: { label: "Flatpak", paramsCase: "flatpak", summary: "Install or remove a Flatpak application." },
  [ActionType.SHELL]: { label: "Shell script", paramsCase: "shell", summary: "Run a script on the device." },
  [ActionType.SYSTEMD]: { label: "Systemd unit", paramsCase: "systemd", summary: "Start, stop or enable a systemd unit, optionally writing its unit file." },
  [ActionType.FILE]: { label: "File", paramsCase: "file", summary: "Write a file with its content, owner and mode." },
  [ActionType.DIRECTORY]: { label: "Directory", paramsCase: "directory", summary: "Create a directory with its owner and mode." },
};

/** Labels and hints per params message and field (local names), for the common types. */
export const fieldLooks: Record<string, Record<string, FieldLook>> = {
  "pm.v1.PackageParams": {
    name: { label: "Package name", hint: "Used by every package manager unless a name below overrides it.", placeholder: "htop", required: true },
    version: { hint: "Empty installs the newest version." },
    allowDowngrade: { label: "Allow downgrading a newer installed version" },
    pin: { label: "Hold the package at this version" },
    aptName: { label: "Name for apt (Debian, Ubuntu)" },
    dnfName: { label: "Name for dnf (Fedora, RHEL)" },
    pacmanName: { label: "Name for pacman (Arch)" },
    zypperName: { label: "Name for zypper (openSUSE)" },
  },
  "pm.v1.ShellParams": {
    script: { multiline: true, required: true, placeholder: "#!/bin/sh\necho hello", hint: "At most 1 MiB." },
    interpreter: { placeholder: "/bin/sh", hint: "Empty uses the agent's default shell." },
    runAsRoot: { label: "Run as root" },
    workingDirectory: { placeholder: "/tmp" },
    environment: { label: "Environment variables", hint: "One NAME=value per line." },
  },
  "pm.v1.SystemdParams": {
    unitName: { label: "Unit name", placeholder: "nginx.service", required: true },
    desiredState: { label: "State to reach" },
    enable: { label: "Enable at boot" },
    unitContent: { label: "Unit file", multiline: true, hint: "Optional: written before the state is applied (at most 64 KiB)." },
  },
  "pm.v1.FileParams": {
    path: { placeholder: "/etc/motd", required: true, hint: "An absolute path." },
    content: { multiline: true },
    owner: { placeholder: "root" },
    group: { placeholder: "root" },
    mode: { placeholder: "0644", hint: "Octal permission bits." },
  },
  "pm.v1.DirectoryParams": {
    path: { placeholder: "/srv/data", required: true, hint: "An absolute path." },
    owner: { placeholder: "root" },
    group: { placeholder: "root" },
    mode: { placeholder: "0755", hint: "Octal permission bits." },
    recursive: { label: "Create missing parent directories" },
  },
  "pm.v1.AppInstallParams": {
    url: { label: "Download URL", placeholder: "https://example.com/app.deb", required: true },
    checksumSha256: { label: "SHA-256 checksum", hint: "64 hex digits; the agent refuses a download that does not match." },
    installPath: { label: "Install path" },
  },
  "pm.v1.FlatpakParams": {
    appId: { label: "Application id", placeholder: "org.mozilla.firefox", required: true },
    remote: { placeholder: "flathub", hint: "Empty means flathub." },
    systemWide: { label: "Install system-wide" },
    pin: { label: "Block automatic updates" },
  },
  "pm.v1.RepositoryParams": {
    name: { label: "Repository name", hint: "Letters and digits only; also names the repository file.", required: true },
  },
  "pm.v1.AptRepository": { components: { hint: "Separated by spaces, e.g. main contrib." }, gpgKey: { label: "GPG key (ASCII-armoured)", multiline: true } },
  "pm.v1.DnfRepository": { baseurl: { label: "Base URL" } },
  "pm.v1.ZypperRepository": {},
  "pm.v1.ActionSchedule": {
    cron: { label: "Cron expression", placeholder: "0 3 * * *", hint: "When set, it wins over the interval." },
    intervalHours: { label: "Interval (hours)", hint: "Hours between runs without a cron expression; 0 uses the agent's default (8 h)." },
    runOnAssign: { label: "Run once as soon as the action reaches a device" },
    skipIfUnchanged: { label: "Skip a run when the last one succeeded and nothing changed" },
  },
};

function paramsField(paramsCase: string): DescField | undefined {
  return CreateActionRequestSchema.fields.find((field) => field.localName === paramsCase && field.oneof?.name === "params");
}

/** Every action type the contract declares (UNSPECIFIED aside), with its form's descriptor. */
export const actionTypes: TypeInfo[] = ActionTypeSchema.values
  .filter((value) => value.number !== ActionType.UNSPECIFIED)
  .flatMap((value) => {
    const info = known[value.number];
    const field = info && paramsField(info.paramsCase);
    if (!info || !field?.message) return [];
    return [{ type: value.number as ActionType, label: info.label, paramsCase: info.paramsCase, schema: field.message, summary: info.summary }];
  });

/** The console's facts on `type`, if it knows the type. */
export function typeInfo(type: ActionType): TypeInfo | undefined {
  return actionTypes.find((info) => info.type === type);
}

/** The type's name for people ("Shell script"), or the contract's name for one the console does not know. */
export function typeLabel(type: ActionType): string {
  return typeInfo(type)?.label ?? ActionTypeSchema.values.find((value) => value.number === type)?.name ?? String(type);
}

/** The enum value's name in the JSON form ("ACTION_TYPE_SHELL"), for query strings. */
export function typeName(type: ActionType): string {
  return ActionTypeSchema.values.find((value) => value.number === type)?.name ?? "";
}

/** The type a JSON enum name stands for (0 when unknown). */
export function typeFromName(name: string): ActionType {
  return (ActionTypeSchema.values.find((value) => value.name === name)?.number ?? 0) as ActionType;
}

/** One line saying what an action does, from its most telling parameter. */
export function actionSummary(action: ManagedAction): string {
  const { case: kind, value } = action.params;
  switch (kind) {
    case "package":
      return [value.name || value.aptName || value.dnfName, value.version].filter(Boolean).join(" ");
    case "shell":
      return value.script.split("\n").find((line) => line.trim() && !line.startsWith("#!")) ?? "";
    case "systemd":
      return value.unitName;
    case "file":
    case "directory":
      return value.path;
    case "app":
      return value.url;
    case "flatpak":
      return value.appId;
    case "repository":
      return value.name;
    case "update":
      return value.securityOnly ? "security updates only" : "all updates";
    default:
      return "";
  }
}
