// One execution at /executions/:id: where and what ran, its state and times, its error and
// its output; followed live (once a second) until it has finished.
import { useEffect, useState } from "preact/hooks";
import { client } from "../api";
import { Link } from "../router";
import { useAsync } from "../ui/async";
import { EmptyState, ErrorBanner, PageHeader, Spinner, Time } from "../ui/components";
import { ExecutionState, isFinished } from "../ui/status";
import { ExecutionOutput } from "./execution-output";
import { actionTypeWord } from "./execution-words";
import { useDevicesById } from "./device-names";
import { deviceName } from "./fleet-lookups";

const liveMs = 1000;

/** The execution page. */
export function ExecutionPage(props: { params: Record<string, string> }) {
  const id = props.params.id;
  // Polls only until the execution has finished: after that nothing changes.
  const [finished, setFinished] = useState(false);
  const loaded = useAsync(() => client.getExecution({ id }), [id], finished ? undefined : liveMs);
  const execution = loaded.data?.execution;
  useEffect(() => setFinished(execution ? isFinished(execution.status) : false), [execution?.status]);
  const named = useDevicesById(execution ? [execution.deviceId] : []);

  if (loaded.loading && !loaded.data) return <Spinner label="Loading the execution…" />;
  if (!execution) {
    return (
      <>
        <PageHeader title="Execution" />
        {loaded.error && /not found/i.test(loaded.error) ? (
          <EmptyState title="This execution does not exist.">
            See the <Link href="/executions">list of executions</Link>.
          </EmptyState>
        ) : (
          <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
        )}
      </>
    );
  }
  const running = !isFinished(execution.status);
  const host = deviceName(named, execution.deviceId);
  return (
    <>
      <PageHeader title={`${actionTypeWord(execution.type)} on ${host}`}>
        <Link href={`/executions?device=${execution.deviceId}`} class="button">
          Executions on this device
        </Link>
      </PageHeader>
      <ErrorBanner error={loaded.error} />
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <ExecutionState status={execution.status} /> {running && <Spinner label="Following live…" />}
        </dd>
        <dt>Device</dt>
        <dd>
          <Link href={`/devices/${execution.deviceId}`}>{host}</Link>
        </dd>
        <dt>What</dt>
        <dd>
          {actionTypeWord(execution.type)}{" "}
          {execution.actionId ? (
            <Link href={`/actions/${execution.actionId}`}>stored action</Link>
          ) : (
            <span class="muted">(ad hoc)</span>
          )}
        </dd>
        <dt>Created</dt>
        <dd>
          <Time value={execution.createdAt} />
        </dd>
        <dt>Sent to the device</dt>
        <dd>
          <Time value={execution.dispatchedAt} empty="not yet" />
        </dd>
        <dt>Finished</dt>
        <dd>
          <Time value={execution.completedAt} empty="not yet" />
        </dd>
        <dt>Duration</dt>
        <dd>{execution.durationMs > 0n ? `${execution.durationMs} ms` : <span class="muted">–</span>}</dd>
        {!running && execution.output && (
          <>
            <dt>Exit code</dt>
            <dd>{execution.output.exitCode}</dd>
          </>
        )}
        <dt>Id</dt>
        <dd>
          <code>{execution.id}</code>
        </dd>
      </dl>
      {execution.error && (
        <>
          <h2>Error</h2>
          <div class="banner banner-error">{execution.error}</div>
        </>
      )}
      <h2>Output</h2>
      <ExecutionOutput execution={execution} />
    </>
  );
}
