// The device groups: static ones (members picked by hand) and dynamic ones (members chosen by
// a label query), with their member counts, in pages of 50.
import { client } from "../api";
import { Link } from "../router";
import { useAsync } from "../ui/async";
import { Badge, EmptyState, ErrorBanner, PageHeader, Spinner, Time } from "../ui/components";
import { TableHead } from "../ui/table-head";
import { ListPager } from "../ui/list-pager";
import { usePaging } from "../ui/paging";

const pageSize = 50;
const refreshMs = 10000;

/** The list of device groups, at /groups. */
export function GroupsPage() {
  const paging = usePaging();
  const groups = useAsync(
    () => client.listDeviceGroups({ pageSize, pageToken: paging.token }),
    [paging.token],
    refreshMs,
  );
  const list = groups.data?.groups ?? [];

  return (
    <>
      <PageHeader title="Device groups">
        <Link href="/groups/new" class="button primary">
          New group
        </Link>
      </PageHeader>
      <ErrorBanner error={groups.error} onRetry={groups.reload} />
      {groups.loading && !groups.data ? (
        <Spinner label="Loading device groups…" />
      ) : list.length === 0 ? (
        <EmptyState title="No device groups yet.">
          <Link href="/groups/new">Create a group</Link> to dispatch to many devices at once or to assign
          actions to them: pick its devices by hand, or let a label query such as{" "}
          <code>labels.env equals prod</code> choose them.
        </EmptyState>
      ) : (
        <table aria-label="Device groups">
          <TableHead columns={["Name", "Membership", "Devices", "Description", "Created"]} />
          <tbody>
            {list.map((group) => (
              <tr key={group.id}>
                <td>
                  <Link href={`/groups/${group.id}`}>{group.name}</Link>
                </td>
                <td>
                  {group.isDynamic ? (
                    <>
                      <Badge tone="info">dynamic</Badge> <code class="query-text">{group.dynamicQuery || "every device"}</code>
                    </>
                  ) : (
                    <Badge tone="idle">static</Badge>
                  )}
                </td>
                <td>{group.memberCount}</td>
                <td class="clip">{group.description}</td>
                <td>
                  <Time value={group.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {groups.data && list.length > 0 && (
        <ListPager paging={paging} page={groups.data} shown={list.length} />
      )}
    </>
  );
}
