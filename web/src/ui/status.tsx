// Status words shared by the pages: a device's connection and an execution's state.
import { ExecutionStatus } from "../gen/pm/v1/common_pb";
import { Badge } from "./components";

/** "online" / "offline" as the gateway reports it. */
export function DeviceStatus(props: { status: string }) {
  return <Badge tone={props.status === "online" ? "ok" : "idle"}>{props.status || "unknown"}</Badge>;
}

const executionWords: Record<ExecutionStatus, [string, "ok" | "bad" | "warn" | "idle" | "info"]> = {
  [ExecutionStatus.UNSPECIFIED]: ["unknown", "idle"],
  [ExecutionStatus.PENDING]: ["pending", "info"],
  [ExecutionStatus.RUNNING]: ["running", "info"],
  [ExecutionStatus.SUCCESS]: ["succeeded", "ok"],
  [ExecutionStatus.FAILED]: ["failed", "bad"],
  [ExecutionStatus.SKIPPED]: ["skipped", "idle"],
  [ExecutionStatus.TIMEOUT]: ["timed out", "bad"],
};

/** The word for an execution's state. */
export function executionWord(status: ExecutionStatus): string {
  return (executionWords[status] ?? executionWords[ExecutionStatus.UNSPECIFIED])[0];
}

/** Whether an execution has reached a final state. */
export function isFinished(status: ExecutionStatus): boolean {
  return (
    status === ExecutionStatus.SUCCESS ||
    status === ExecutionStatus.FAILED ||
    status === ExecutionStatus.SKIPPED ||
    status === ExecutionStatus.TIMEOUT
  );
}

/** An execution's state as a coloured word. */
export function ExecutionState(props: { status: ExecutionStatus }) {
  const [word, tone] = executionWords[props.status] ?? executionWords[ExecutionStatus.UNSPECIFIED];
  return <Badge tone={tone}>{word}</Badge>;
}
