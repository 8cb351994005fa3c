// Follows a batch of executions until each is final: about once a second it asks the API for
// the ones still pending or running (with their output so far), and stops when none are left.
import { useEffect, useRef, useState } from "preact/hooks";
import { client, errorText } from "../api";
import { ExecutionStatus } from "../gen/pm/v1/common_pb";
import type { ActionExecution } from "../gen/pm/v1/control_pb";
import { isFinished } from "../ui/status";

const everyMs = 1000;
// At most this many GetExecution calls per round, a few at a time, so a dispatch to thousands
// of devices does not flood the server: the rest are asked in the next rounds.
const perRound = 60;
const parallel = 6;

/** The batch as last seen, and how far it is. */
export interface LiveBatch {
  /** Every execution, in dispatch order, as last read. */
  executions: ActionExecution[];
  /** How many reached a final state. */
  done: number;
  /** How many of those failed or timed out. */
  failed: number;
  /** Whether some are still pending or running. */
  running: boolean;
  /** The last polling failure, in words (polling goes on). */
  error: string | undefined;
}

/** Polls the executions of `initial` until all are final; `initial` changing starts over. */
export function useLiveExecutions(initial: ActionExecution[]): LiveBatch {
  const [executions, setExecutions] = useState(initial);
  const [error, setError] = useState<string>();
  const latest = useRef(initial);
  const cursor = useRef(0);

  useEffect(() => {
    latest.current = initial;
    cursor.current = 0;
    setExecutions(initial);
    setError(undefined);
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const round = async () => {
      const open = latest.current.filter((execution) => !isFinished(execution.status));
      if (open.length === 0) return;
      // Rotate through the open ones so each is seen within a few rounds however many there are.
      const start = cursor.current % open.length;
      const batch = [...open.slice(start), ...open.slice(0, start)].slice(0, perRound);
      cursor.current = start + batch.length;
      const fresh = new Map<string, ActionExecution>();
      let failure: unknown;
      let next = 0;
      const worker = async () => {
        while (next < batch.length && !stopped) {
          const execution = batch[next++];
          try {
            const response = await client.getExecution({ id: execution.id });
            if (response.execution) fresh.set(execution.id, response.execution);
          } catch (caught) {
            failure = caught;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallel, batch.length) }, worker));
      if (stopped) return;
      latest.current = latest.current.map((execution) => fresh.get(execution.id) ?? execution);
      setExecutions(latest.current);
      setError(failure ? errorText(failure) : undefined);
    };

    const loop = async () => {
      await round();
      if (stopped) return;
      if (latest.current.some((execution) => !isFinished(execution.status))) {
        timer = setTimeout(() => void loop(), everyMs);
      }
    };
    timer = setTimeout(() => void loop(), everyMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [initial]);

  const done = executions.filter((execution) => isFinished(execution.status)).length;
  const failed = executions.filter(
    (execution) => execution.status === ExecutionStatus.FAILED || execution.status === ExecutionStatus.TIMEOUT,
  ).length;
  return { executions, done, failed, running: done < executions.length, error };
}
