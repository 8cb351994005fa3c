// The device groups a device belongs to. The API has no "groups of a device" call, so the
// page reads every group's members (bounded: groups are few next to devices); static groups
// can be joined and left here, dynamic ones follow their query.
import { useState } from "preact/hooks";
import { client, listAll, maxPageSize } from "../api";
import type { DeviceGroup } from "../gen/pm/v1/control_pb";
import { Link } from "../router";
import { useAsync, useCommand } from "../ui/async";
import { Badge, EmptyState, ErrorBanner, Spinner } from "../ui/components";

const groupLimit = 500;

async function groupsOf(deviceId: string): Promise<{ member: DeviceGroup[]; others: DeviceGroup[] }> {
  const groups = await listAll(async (pageToken) => {
    const page = await client.listDeviceGroups({ pageSize: maxPageSize, pageToken });
    return { items: page.groups, nextPageToken: page.nextPageToken };
  }, groupLimit);
  const members = await Promise.all(groups.map((group) => client.getDeviceGroup({ id: group.id })));
  const member: DeviceGroup[] = [];
  const others: DeviceGroup[] = [];
  groups.forEach((group, index) => (members[index].deviceIds.includes(deviceId) ? member : others).push(group));
  return { member, others };
}

/** The groups `deviceId` is in, with joining and leaving static groups. */
export function DeviceGroups(props: { deviceId: string }) {
  const groups = useAsync(() => groupsOf(props.deviceId), [props.deviceId]);
  const [pick, setPick] = useState("");
  const command = useCommand(async (change: () => Promise<unknown>) => {
    await change();
    groups.reload();
  });
  const joinable = (groups.data?.others ?? []).filter((group) => !group.isDynamic);

  return (
    <section aria-labelledby="groups-title">
      <h2 id="groups-title">Device groups</h2>
      <ErrorBanner error={groups.error ?? command.error} onRetry={groups.reload} />
      {groups.loading && !groups.data ? (
        <Spinner label="Finding its groups…" />
      ) : groups.data && groups.data.member.length === 0 ? (
        <EmptyState title="In no group.">
          {joinable.length > 0 ? "Add it to a static group below, or give it labels a dynamic group selects." : (
            <>
              Create a group on the <Link href="/groups">Device groups</Link> page.
            </>
          )}
        </EmptyState>
      ) : (
        <ul class="chips" aria-label="Groups of this device">
          {(groups.data?.member ?? []).map((group) => (
            <li key={group.id}>
              <Link href={`/groups/${group.id}`}>{group.name}</Link>{" "}
              {group.isDynamic ? (
                <Badge tone="info">dynamic</Badge>
              ) : (
                <button
                  type="button"
                  class="link-button"
                  aria-label={`Remove from ${group.name}`}
                  disabled={command.busy}
                  onClick={() => void command.run(() => client.removeDeviceFromGroup({ groupId: group.id, deviceId: props.deviceId }))}
                >
                  remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {joinable.length > 0 && (
        <form
          class="filters"
          aria-label="Add to a group"
          onSubmit={(event) => {
            event.preventDefault();
            if (pick) void command.run(() => client.addDeviceToGroup({ groupId: pick, deviceId: props.deviceId }));
          }}
        >
          <label>
            <span id="group-pick-label">Add to group</span>
            <select aria-labelledby="group-pick-label" value={pick} onChange={(event) => setPick(event.currentTarget.value)}>
              <option value="">choose a static group</option>
              {joinable.map((group) => (
                <option key={group.id} value={group.id}>
                  {group.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={!pick || command.busy}>
            {command.busy ? <Spinner label="Saving…" /> : "Add"}
          </button>
        </form>
      )}
    </section>
  );
}
