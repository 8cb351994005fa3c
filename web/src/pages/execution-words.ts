// The words the execution pages use in query strings and tables: status filters and the kind
// of action that ran.
import { ActionType } from "../gen/pm/v1/actions_pb";
import { ExecutionStatus } from "../gen/pm/v1/common_pb";

/** The status filter's values in the query string (?status=failed), with their labels. */
export const statusFilters: { key: string; status: ExecutionStatus; label: string }[] = [
  { key: "pending", status: ExecutionStatus.PENDING, label: "pending" },
  { key: "running", status: ExecutionStatus.RUNNING, label: "running" },
  { key: "succeeded", status: ExecutionStatus.SUCCESS, label: "succeeded" },
  { key: "failed", status: ExecutionStatus.FAILED, label: "failed" },
  { key: "timeout", status: ExecutionStatus.TIMEOUT, label: "timed out" },
  { key: "skipped", status: ExecutionStatus.SKIPPED, label: "skipped" },
];

/** The ExecutionStatus a ?status= value names (UNSPECIFIED, no filter, for anything else). */
export function statusOf(key: string): ExecutionStatus {
  return statusFilters.find((entry) => entry.key === key)?.status ?? ExecutionStatus.UNSPECIFIED;
}

const typeWords: Partial<Record<ActionType, string>> = {
  [ActionType.PACKAGE]: "package",
  [ActionType.UPDATE]: "system update",
  [ActionType.REPOSITORY]: "repository",
  [ActionType.APP_IMAGE]: "AppImage",
  [ActionType.DEB]: ".deb package",
  [ActionType.RPM]: ".rpm package",
  [ActionType.FLATPAK]: "Flatpak",
  [ActionType.SHELL]: "shell",
  [ActionType.SYSTEMD]: "systemd unit",
  [ActionType.FILE]: "file",
  [ActionType.DIRECTORY]: "directory",
};

/** A kind of action as a word. */
export function actionTypeWord(type: ActionType): string {
  return typeWords[type] ?? "action";
}
