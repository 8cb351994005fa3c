// What applies to a device and what ran on it: its resolved assignments (direct and through
// its groups, as the API resolves them) and its latest executions.
import { client } from "../api";
import { ActionType } from "../gen/pm/v1/actions_pb";
import { Link } from "../router";
import { useAsync } from "../ui/async";
import { EmptyState, ErrorBanner, Spinner } from "../ui/components";
import { TableHead } from "../ui/table-head";
import { ExecutionTable } from "./execution-table";

const refreshMs = 5000;
const recentCount = 20;

/** "shell", "app image": the action type as a word. */
export function actionTypeWord(type: ActionType): string {
  return (ActionType[type] ?? "unknown").toLowerCase().replace(/_/g, " ");
}

/** The actions, action sets and definitions that apply to `deviceId`. */
export function DeviceAssignments(props: { deviceId: string; isAdmin: boolean }) {
  const resolved = useAsync(() => client.getDeviceAssignments({ deviceId: props.deviceId }), [props.deviceId]);
  const data = resolved.data;
  const empty = data && data.actions.length + data.actionSets.length + data.definitions.length === 0;
  return (
    <section aria-labelledby="assignments-title">
      <h2 id="assignments-title">Resolved assignments</h2>
      <ErrorBanner error={resolved.error} onRetry={resolved.reload} />
      {resolved.loading && !data ? (
        <Spinner label="Resolving assignments…" />
      ) : empty ? (
        <EmptyState title="Nothing is assigned to this device.">
          {props.isAdmin ? (
            <>
              Assign an action, action set or definition to it or to one of its groups on the{" "}
              <Link href="/assignments">Assignments</Link> page.
            </>
          ) : undefined}
        </EmptyState>
      ) : data ? (
        <table aria-label="Resolved assignments">
          <TableHead columns={["Kind", "Name", "Details"]} />
          <tbody>
            {data.definitions.map((item) => (
              <tr key={`d-${item.id}`}>
                <td>definition</td>
                <td>{props.isAdmin ? <Link href={`/definitions/${item.id}`}>{item.name}</Link> : item.name}</td>
                <td>{item.memberCount} action sets</td>
              </tr>
            ))}
            {data.actionSets.map((item) => (
              <tr key={`s-${item.id}`}>
                <td>action set</td>
                <td>{props.isAdmin ? <Link href={`/action-sets/${item.id}`}>{item.name}</Link> : item.name}</td>
                <td>{item.memberCount} actions</td>
              </tr>
            ))}
            {data.actions.map((item) => (
              <tr key={`a-${item.id}`}>
                <td>action</td>
                <td>{props.isAdmin ? <Link href={`/actions/${item.id}`}>{item.name}</Link> : item.name}</td>
                <td>{actionTypeWord(item.type)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** The latest executions on `deviceId`, refreshed while the page is open. */
export function DeviceExecutions(props: { deviceId: string }) {
  const executions = useAsync(
    () => client.listExecutions({ deviceId: props.deviceId, pageSize: recentCount }),
    [props.deviceId],
    refreshMs,
  );
  const list = executions.data?.executions ?? [];
  // Executions carry only the action's id; names are looked up once per action (a user may not
  // be allowed to read actions: then the type alone is shown).
  const actionIds = [...new Set(list.map((execution) => execution.actionId).filter(Boolean))].sort();
  const names = useAsync(async () => {
    const found = await Promise.all(
      actionIds.map((id) => client.getAction({ id }).then((response) => response.action, () => undefined)),
    );
    return new Map(found.filter((action) => action !== undefined).map((action) => [action.id, action.name]));
  }, [actionIds.join(",")]);
  return (
    <section aria-labelledby="executions-title">
      <h2 id="executions-title">Recent executions</h2>
      <ErrorBanner error={executions.error} onRetry={executions.reload} />
      {executions.loading && !executions.data ? (
        <Spinner label="Loading executions…" />
      ) : list.length === 0 ? (
        <EmptyState title="Nothing has run on this device yet." />
      ) : (
        <ExecutionTable
          label="Recent executions"
          list={list}
          column="Action"
          cell={(execution) =>
            names.data?.get(execution.actionId) ?? <span class="muted">{actionTypeWord(execution.type)} action</span>
          }
        />
      )}
      {executions.data && executions.data.totalCount > list.length && (
        <p class="muted">
          {list.length} latest of {executions.data.totalCount}.
        </p>
      )}
    </section>
  );
}
