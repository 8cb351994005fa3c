// What is assigned to what, in which mode: stored actions, action sets and definitions on
// devices and device groups. Filters by kind live in the query string; creating and deleting
// happen here too.
import { useEffect } from "preact/hooks";
import { client } from "../api";
import { Link, setQuery, useLocation } from "../router";
import { useAsync, useCommand } from "../ui/async";
import { Badge, ConfirmButton, EmptyState, ErrorBanner, PageHeader, Spinner, Time } from "../ui/components";
import { TableHead } from "../ui/table-head";
import { ListPager } from "../ui/list-pager";
import { usePaging } from "../ui/paging";
import { AssignmentForm } from "./assignment-form";
import { modeOf } from "./assignment-words";
import { useDevicesById } from "./device-names";
import { byId, deviceName, sourceWords, useAllGroups, useAllSources, type Source } from "./fleet-lookups";

const pageSize = 50;

const sourcePaths: Record<Source["type"], string> = {
  action: "/actions",
  action_set: "/action-sets",
  definition: "/definitions",
};

/** The assignments page, at /assignments. */
export function AssignmentsPage() {
  const { query } = useLocation();
  const sourceType = query.get("source") ?? "";
  const targetType = query.get("target") ?? "";
  const paging = usePaging();
  useEffect(() => paging.reset(), [sourceType, targetType]);

  const assignments = useAsync(
    () => client.listAssignments({ pageSize, pageToken: paging.token, sourceType, targetType }),
    [paging.token, sourceType, targetType],
  );
  const sources = useAllSources();
  const groups = useAllGroups();
  const remove = useCommand(async (id: string) => {
    await client.deleteAssignment({ id });
    assignments.reload();
  });

  const sourceIndex = byId(sources.data);
  const groupIndex = byId(groups.data);
  const list = assignments.data?.assignments ?? [];
  const deviceIndex = useDevicesById(list.filter((item) => item.targetType === "device").map((item) => item.targetId));
  const filtered = Boolean(sourceType || targetType);

  const sourceLabel = (type: string, id: string) => {
    const name = sourceIndex.get(id)?.name ?? `…${id.slice(-8)}`;
    const path = sourcePaths[type as Source["type"]];
    return (
      <>
        <span class="muted">{sourceWords[type as Source["type"]] ?? type}</span>{" "}
        {path ? <Link href={`${path}/${id}`}>{name}</Link> : name}
      </>
    );
  };
  const targetLabel = (type: string, id: string) =>
    type === "device_group" ? (
      <>
        <span class="muted">Group</span> <Link href={`/groups/${id}`}>{groupIndex.get(id)?.name ?? `…${id.slice(-8)}`}</Link>
      </>
    ) : (
      <>
        <span class="muted">Device</span> <Link href={`/devices/${id}`}>{deviceName(deviceIndex, id)}</Link>
      </>
    );

  return (
    <>
      <PageHeader title="Assignments" />
      <AssignmentForm
        sources={sources.data}
        groups={groups.data}
        loading={sources.loading || groups.loading}
        onCreated={assignments.reload}
      />
      <h2 id="assignments-title">Current assignments</h2>
      <form class="filters" role="search" aria-label="Filter assignments" onSubmit={(event) => event.preventDefault()}>
        <label>
          What
          <select value={sourceType} onChange={(event) => setQuery({ source: event.currentTarget.value || undefined })}>
            <option value="">anything</option>
            <option value="action">actions</option>
            <option value="action_set">action sets</option>
            <option value="definition">definitions</option>
          </select>
        </label>
        <label>
          To
          <select value={targetType} onChange={(event) => setQuery({ target: event.currentTarget.value || undefined })}>
            <option value="">devices and groups</option>
            <option value="device">devices</option>
            <option value="device_group">device groups</option>
          </select>
        </label>
      </form>
      <ErrorBanner error={assignments.error ?? sources.error ?? groups.error} onRetry={assignments.reload} />
      <ErrorBanner error={remove.error} />
      {assignments.loading && !assignments.data ? (
        <Spinner label="Loading assignments…" />
      ) : list.length === 0 ? (
        <EmptyState title={filtered ? "No assignment matches these filters." : "Nothing is assigned yet."}>
          {filtered
            ? "Choose “anything” and “devices and groups” to see every assignment."
            : "Use the form above: pick an action, action set or definition, the device or group it is for, and the mode."}
        </EmptyState>
      ) : (
        <table aria-labelledby="assignments-title">
          <TableHead columns={["What", "To", "Mode", "Created"]} hidden="Delete" />
          <tbody>
            {list.map((assignment) => {
              const mode = modeOf(assignment.mode);
              return (
                <tr key={assignment.id}>
                  <td>{sourceLabel(assignment.sourceType, assignment.sourceId)}</td>
                  <td>{targetLabel(assignment.targetType, assignment.targetId)}</td>
                  <td>
                    <Badge tone={mode.tone}>{mode.word}</Badge> <span class="muted">{mode.meaning}</span>
                  </td>
                  <td>
                    <Time value={assignment.createdAt} />
                  </td>
                  <td>
                    <ConfirmButton
                      label="Delete"
                      question="Delete this assignment? Devices stop receiving it at their next sync."
                      disabled={remove.busy}
                      onConfirm={() => void remove.run(assignment.id)}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {assignments.data && list.length > 0 && (
        <ListPager paging={paging} page={assignments.data} shown={list.length} />
      )}
    </>
  );
}
