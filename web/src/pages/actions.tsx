// The stored actions: a page of 50 at a time, filtered by type (kept in the query string so a
// filtered list can be bookmarked), each linking to its editor.
import { useEffect } from "preact/hooks";
import { client } from "../api";
import { Link, setQuery, useLocation } from "../router";
import { useAsync } from "../ui/async";
import { EmptyState, ErrorBanner, PageHeader, Spinner, Time } from "../ui/components";
import { TableHead } from "../ui/table-head";
import { ListPager } from "../ui/list-pager";
import { usePaging } from "../ui/paging";
import { actionSummary, actionTypes, typeFromName, typeLabel, typeName } from "./action-types";
import "./configuration.css";

const pageSize = 50;

/** /actions: every stored action, by type. */
export function ActionsPage() {
  const { query } = useLocation();
  const typeText = query.get("type") ?? "";
  const type = typeFromName(typeText);
  const paging = usePaging();
  useEffect(() => paging.reset(), [typeText]);

  const actions = useAsync(
    () => client.listActions({ pageSize, pageToken: paging.token, typeFilter: type }),
    [paging.token, type],
  );
  const list = actions.data?.actions ?? [];

  return (
    <>
      <PageHeader title="Actions">
        <Link href="/actions/new" class="button primary">
          New action
        </Link>
      </PageHeader>
      <p class="lead muted">
        An action is one thing an agent does: install a package, run a script, write a file. Group them into{" "}
        <Link href="/action-sets">action sets</Link> to assign them together.
      </p>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label>
          Type
          <select value={typeText} onChange={(event) => setQuery({ type: event.currentTarget.value || undefined })}>
            <option value="">any</option>
            {actionTypes.map((info) => (
              <option key={info.type} value={typeName(info.type)}>
                {info.label}
              </option>
            ))}
          </select>
        </label>
        {actions.loading && actions.data && <Spinner label="Refreshing…" />}
      </form>
      <ErrorBanner error={actions.error} onRetry={actions.reload} />
      {actions.loading && !actions.data ? (
        <Spinner label="Loading actions…" />
      ) : list.length === 0 ? (
        <EmptyState title={type ? `No ${typeLabel(type)} actions.` : "No actions yet."}>
          {type ? (
            <>Choose another type, or <Link href="/actions/new">create one</Link>.</>
          ) : (
            <><Link href="/actions/new">Create the first action</Link>, for example a shell script.</>
          )}
        </EmptyState>
      ) : (
        <table aria-label="Actions">
          <TableHead columns={["Name", "Type", "What it does", "Timeout", "Created"]} />
          <tbody>
            {list.map((action) => (
              <tr key={action.id}>
                <td>
                  <Link href={`/actions/${action.id}`}>{action.name}</Link>
                  {action.description && <div class="muted small">{action.description}</div>}
                </td>
                <td>{typeLabel(action.type)}</td>
                <td class="clip">
                  <code>{actionSummary(action)}</code>
                </td>
                <td>{action.timeoutSeconds ? `${action.timeoutSeconds} s` : <span class="muted">default</span>}</td>
                <td>
                  <Time value={action.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {actions.data && (
        <ListPager paging={paging} page={actions.data} shown={list.length} />
      )}
    </>
  );
}
