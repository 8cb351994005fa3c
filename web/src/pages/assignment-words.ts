// How the assignment modes read on the page, and what each means to an operator.
import { AssignmentMode } from "../gen/pm/v1/common_pb";

/** Each mode's word, badge tone and meaning, in the order the form offers them. */
export const modes: { mode: AssignmentMode; word: string; tone: "ok" | "info" | "bad"; meaning: string }[] = [
  { mode: AssignmentMode.PRESENT, word: "required", tone: "ok", meaning: "applied to every target device" },
  { mode: AssignmentMode.AVAILABLE, word: "available", tone: "info", meaning: "offered; the device's user may opt in" },
  { mode: AssignmentMode.ABSENT, word: "blocked", tone: "bad", meaning: "removed from every target device" },
];

/** The entry for `mode` (the first, PRESENT, for a value the console does not know). */
export function modeOf(mode: AssignmentMode): (typeof modes)[number] {
  return modes.find((entry) => entry.mode === mode) ?? modes[0];
}
