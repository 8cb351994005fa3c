// Every execution the caller may see, newest first, filtered by device and status (both in the
// query string, so a filtered list can be bookmarked or linked from elsewhere), in pages of 50.
import { useEffect } from "preact/hooks";
import { client } from "../api";
import { Link, setQuery, useLocation } from "../router";
import { useSession } from "../session";
import { useAsync } from "../ui/async";
import { EmptyState, ErrorBanner, PageHeader, Spinner, Time } from "../ui/components";
import { TableHead } from "../ui/table-head";
import { ListPager } from "../ui/list-pager";
import { usePaging } from "../ui/paging";
import { ExecutionState } from "../ui/status";
import { actionTypeWord, statusFilters, statusOf } from "./execution-words";
import { useDevicesById } from "./device-names";
import { byId, deviceName, useAllDevices, useAllSources } from "./fleet-lookups";

const pageSize = 50;
const refreshMs = 5000;

/** The executions list, at /executions. */
export function ExecutionsPage() {
  const { query } = useLocation();
  const { isAdmin } = useSession();
  const deviceId = query.get("device") ?? "";
  const statusKey = query.get("status") ?? "";
  const paging = usePaging();
  useEffect(() => paging.reset(), [deviceId, statusKey]);

  const executions = useAsync(
    () => client.listExecutions({ pageSize, pageToken: paging.token, deviceId, statusFilter: statusOf(statusKey) }),
    [paging.token, deviceId, statusKey],
    refreshMs,
  );
  // The filter's picker lists every device; the rows' names come by id, so they do not wait
  // for a large fleet's list.
  const devices = useAllDevices();
  const index = byId(devices.data);
  // Stored actions by name; users may not list them (the API refuses), then the kind is enough.
  const sources = useAllSources();
  const sourceIndex = byId(sources.data);
  const list = executions.data?.executions ?? [];
  const named = useDevicesById(list.map((execution) => execution.deviceId));
  const filtered = Boolean(deviceId || statusKey);

  return (
    <>
      <PageHeader title="Executions">
        {isAdmin && (
          <Link href="/dispatch" class="button primary">
            Dispatch
          </Link>
        )}
      </PageHeader>
      <form class="filters" role="search" aria-label="Filter executions" onSubmit={(event) => event.preventDefault()}>
        <label>
          Device
          <select value={deviceId} onChange={(event) => setQuery({ device: event.currentTarget.value || undefined })}>
            <option value="">every device</option>
            {deviceId && !index.has(deviceId) && <option value={deviceId}>{deviceName(index, deviceId)}</option>}
            {(devices.data ?? []).map((device) => (
              <option key={device.id} value={device.id}>
                {device.hostname || device.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select value={statusKey} onChange={(event) => setQuery({ status: event.currentTarget.value || undefined })}>
            <option value="">any</option>
            {statusFilters.map((entry) => (
              <option key={entry.key} value={entry.key}>
                {entry.label}
              </option>
            ))}
          </select>
        </label>
        {filtered && (
          <button type="button" onClick={() => setQuery({ device: undefined, status: undefined })}>
            Clear filters
          </button>
        )}
      </form>
      <ErrorBanner error={executions.error ?? devices.error} onRetry={executions.reload} />
      {executions.loading && !executions.data ? (
        <Spinner label="Loading executions…" />
      ) : list.length === 0 ? (
        <EmptyState title={filtered ? "No execution matches these filters." : "Nothing has run yet."}>
          {filtered ? (
            "Clear the filters to see every execution."
          ) : isAdmin ? (
            <>
              <Link href="/dispatch">Dispatch</Link> a command or an action to some devices.
            </>
          ) : (
            "What runs on your devices will be listed here."
          )}
        </EmptyState>
      ) : (
        <table aria-label="Executions">
          <TableHead columns={["Started", "Device", "What", "State", "Duration", "Error"]} />
          <tbody>
            {list.map((execution) => (
              <tr key={execution.id}>
                <td>
                  <Link href={`/executions/${execution.id}`}>
                    <Time value={execution.createdAt} />
                  </Link>
                </td>
                <td>
                  <Link href={`/devices/${execution.deviceId}`}>{deviceName(named, execution.deviceId)}</Link>
                </td>
                <td>
                  {actionTypeWord(execution.type)}
                  {execution.actionId ? (
                    sourceIndex.has(execution.actionId) && <span class="muted"> · {sourceIndex.get(execution.actionId)?.name}</span>
                  ) : (
                    <span class="muted"> (ad hoc)</span>
                  )}
                </td>
                <td>
                  <ExecutionState status={execution.status} />
                </td>
                <td>{execution.durationMs > 0n ? `${execution.durationMs} ms` : <span class="muted">–</span>}</td>
                <td class="clip">{execution.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {executions.data && list.length > 0 && (
        <ListPager paging={paging} page={executions.data} shown={list.length} />
      )}
    </>
  );
}
