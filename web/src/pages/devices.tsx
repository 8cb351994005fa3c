// Every device the user may see: live connection state, labels and owner, in pages of 50.
// Filters live in the query string, so a filtered list can be bookmarked.
import { useEffect, useState } from "preact/hooks";
import { client, listAll, maxPageSize } from "../api";
import { Link, setQuery, useLocation } from "../router";
import { useSession } from "../session";
import { useAsync } from "../ui/async";
import { EmptyState, ErrorBanner, PageHeader, Spinner, Time } from "../ui/components";
import { TableHead } from "../ui/table-head";
import { ListPager } from "../ui/list-pager";
import { usePaging } from "../ui/paging";
import { DeviceStatus } from "../ui/status";

const pageSize = 50;
const refreshMs = 5000;

/** "key=value, key2=value2" as a label filter; the entries that do not parse are returned too. */
function parseLabels(text: string): { labels: Record<string, string>; bad: string[] } {
  const labels: Record<string, string> = {};
  const bad: string[] = [];
  for (const part of text.split(",").map((item) => item.trim()).filter(Boolean)) {
    const equals = part.indexOf("=");
    if (equals <= 0) bad.push(part);
    else labels[part.slice(0, equals).trim()] = part.slice(equals + 1).trim();
  }
  return { labels, bad };
}

export function DevicesPage() {
  const { query } = useLocation();
  const { isAdmin } = useSession();
  const status = query.get("status") ?? "";
  const labelText = query.get("labels") ?? "";
  const search = query.get("q") ?? "";
  const [labelDraft, setLabelDraft] = useState(labelText);
  const paging = usePaging();
  const { labels, bad } = parseLabels(labelText);

  useEffect(() => paging.reset(), [status, labelText]);

  const devices = useAsync(
    () =>
      client.listDevices({ pageSize, pageToken: paging.token, statusFilter: status, labelFilter: labels }),
    [paging.token, status, labelText],
    refreshMs,
  );
  const users = useAsync(
    async () =>
      isAdmin
        ? await listAll(async (pageToken) => {
            const page = await client.listUsers({ pageSize: maxPageSize, pageToken });
            return { items: page.users, nextPageToken: page.nextPageToken };
          })
        : [],
    [isAdmin],
  );
  const emailOf = (id: string) => users.data?.find((user) => user.id === id)?.email ?? id;

  const needle = search.trim().toLowerCase();
  const shown = (devices.data?.devices ?? []).filter(
    (device) =>
      !needle ||
      device.hostname.toLowerCase().includes(needle) ||
      device.id.toLowerCase().includes(needle) ||
      Object.entries(device.labels).some(([key, value]) => `${key}=${value}`.toLowerCase().includes(needle)),
  );

  return (
    <>
      <PageHeader title={isAdmin ? "Devices" : "My devices"}>
        {isAdmin && <Link href="/tokens" class="button">Enrol a device</Link>}
      </PageHeader>
      <form
        class="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setQuery({ labels: labelDraft.trim() || undefined });
        }}
      >
        <label>
          Search this page
          <input
            type="search"
            value={search}
            placeholder="host name, id or label"
            onInput={(event) => setQuery({ q: event.currentTarget.value || undefined })}
          />
        </label>
        <label>
          State
          <select value={status} onChange={(event) => setQuery({ status: event.currentTarget.value || undefined })}>
            <option value="">any</option>
            <option value="online">online</option>
            <option value="offline">offline</option>
          </select>
        </label>
        <label>
          Labels
          <input
            value={labelDraft}
            placeholder="env=prod, site=berlin"
            onInput={(event) => setLabelDraft(event.currentTarget.value)}
            aria-invalid={bad.length > 0}
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      {bad.length > 0 && (
        <ErrorBanner error={`Write labels as key=value; these are not: ${bad.join(", ")}`} />
      )}
      <ErrorBanner error={devices.error} onRetry={devices.reload} />
      {devices.loading && !devices.data ? (
        <Spinner label="Loading devices…" />
      ) : shown.length === 0 ? (
        <EmptyState title={needle || status || labelText ? "No device matches these filters." : "No devices yet."}>
          {isAdmin && !needle && !status && !labelText ? (
            <>
              Create a <Link href="/tokens">registration token</Link> and run the enrolment command it shows on
              the device.
            </>
          ) : isAdmin ? (
            "Clear the filters to see every device."
          ) : (
            "Ask an administrator to assign a device to you."
          )}
        </EmptyState>
      ) : (
        <table aria-label="Devices">
          <TableHead columns={["Host name", "State", "Last seen", "Agent", "Labels", isAdmin && "Assigned to"]} />
          <tbody>
            {shown.map((device) => (
              <tr key={device.id}>
                <td>
                  <Link href={`/devices/${device.id}`}>{device.hostname || device.id}</Link>
                </td>
                <td>
                  <DeviceStatus status={device.status} />
                </td>
                <td>
                  <Time value={device.lastSeenAt} />
                </td>
                <td>{device.agentVersion}</td>
                <td>
                  {Object.entries(device.labels).map(([key, value]) => (
                    <span class="label" key={key}>
                      {key}={value}
                    </span>
                  ))}
                </td>
                {isAdmin && (
                  <td>{device.assignedUserId ? emailOf(device.assignedUserId) : <span class="muted">nobody</span>}</td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {devices.data && (
        <ListPager paging={paging} page={devices.data} shown={shown.length} />
      )}
    </>
  );
}
