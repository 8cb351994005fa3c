// The live view of a dispatch: a progress line ("12 of 20 done, 1 failed") and a row per
// execution with its device, state and output as results arrive.
import { useEffect, useRef } from "preact/hooks";
import { ExecutionStatus } from "../gen/pm/v1/common_pb";
import type { ActionExecution } from "../gen/pm/v1/control_pb";
import { Link } from "../router";
import { EmptyState, ErrorBanner, Spinner } from "../ui/components";
import { TableHead } from "../ui/table-head";
import { ExecutionState } from "../ui/status";
import { ExecutionOutput } from "./execution-output";
import { useDevicesById } from "./device-names";
import { deviceName } from "./fleet-lookups";
import { useLiveExecutions } from "./live-executions";

/** Follows `executions` until every one is final. */
export function DispatchLive(props: { executions: ActionExecution[] }) {
  const batch = useLiveExecutions(props.executions);
  // A new dispatch moves focus (and the view) to its results, which appear below the form.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [props.executions]);
  const named = useDevicesById(props.executions.map((execution) => execution.deviceId));
  const total = batch.executions.length;
  if (total === 0) {
    return (
      <EmptyState title="Nothing was dispatched: there were no devices to run on.">
        Check the group's members, or pick devices.
      </EmptyState>
    );
  }
  const succeeded = batch.executions.filter((execution) => execution.status === ExecutionStatus.SUCCESS).length;
  return (
    <section aria-labelledby="live-title">
      <h2 id="live-title" tabIndex={-1} ref={heading}>
        Results
      </h2>
      <div class="progress-line">
        <progress max={total} value={batch.done} aria-label="Executions finished" />
        <span role="status" class="progress-text">
          {batch.done} of {total} done{batch.failed > 0 ? `, ${batch.failed} failed` : ""}
          {!batch.running && ` (${succeeded} succeeded)`}
        </span>
        {batch.running && <Spinner label="Waiting for results…" />}
      </div>
      <ErrorBanner error={batch.error} />
      <table aria-label="Executions of this dispatch" class="live">
        <TableHead columns={["Device", "State", "Time", "Output"]} />
        <tbody>
          {batch.executions.map((execution) => (
            <tr key={execution.id}>
              <td>
                <Link href={`/devices/${execution.deviceId}`}>{deviceName(named, execution.deviceId)}</Link>
              </td>
              <td>
                <Link href={`/executions/${execution.id}`} class="state-link">
                  <ExecutionState status={execution.status} />
                </Link>
              </td>
              <td>{execution.durationMs > 0n ? `${execution.durationMs} ms` : <span class="muted">–</span>}</td>
              <td>
                {execution.error && <div class="field-error">{execution.error}</div>}
                <ExecutionOutput execution={execution} compact />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
