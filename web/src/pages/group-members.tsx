// A group's member devices: host name and state of each; for a static group, adding a device
// from a filtered picker and removing one. A dynamic group's members come from its query.
import { useState } from "preact/hooks";
import { client } from "../api";
import type { DeviceGroup } from "../gen/pm/v1/control_pb";
import { Link } from "../router";
import { useCommand } from "../ui/async";
import { EmptyState, ErrorBanner, Spinner } from "../ui/components";
import { TableHead } from "../ui/table-head";
import { DeviceStatus } from "../ui/status";
import { byId, deviceName, useAllDevices } from "./fleet-lookups";

const shownStep = 50;

/** The members section of the group editor. */
export function GroupMembers(props: { group: DeviceGroup; deviceIds: string[]; onChanged: () => void }) {
  const { group, deviceIds } = props;
  const devices = useAllDevices();
  const [shown, setShown] = useState(shownStep);
  const [filter, setFilter] = useState("");
  const [pick, setPick] = useState("");
  const add = useCommand(async (deviceId: string) => {
    await client.addDeviceToGroup({ groupId: group.id, deviceId });
    setPick("");
    setFilter("");
    props.onChanged();
  });
  const remove = useCommand(async (deviceId: string) => {
    await client.removeDeviceFromGroup({ groupId: group.id, deviceId });
    props.onChanged();
  });

  const members = new Set(deviceIds);
  const needle = filter.trim().toLowerCase();
  const candidates = (devices.data ?? [])
    .filter((device) => !members.has(device.id))
    .filter((device) => !needle || device.hostname.toLowerCase().includes(needle) || device.id.toLowerCase().includes(needle))
    .slice(0, 200);
  const index = byId(devices.data);

  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members ({deviceIds.length})</h2>
      {!group.isDynamic && (
        <form
          class="filters"
          onSubmit={(event) => {
            event.preventDefault();
            if (pick) void add.run(pick);
          }}
        >
          <label>
            Find a device
            <input type="search" value={filter} placeholder="host name or id" onInput={(event) => setFilter(event.currentTarget.value)} />
          </label>
          <label>
            Device to add
            <select value={pick} onChange={(event) => setPick(event.currentTarget.value)}>
              <option value="">{devices.loading && !devices.data ? "loading devices…" : `choose (${candidates.length} shown)`}</option>
              {candidates.map((device) => (
                <option key={device.id} value={device.id}>
                  {device.hostname || device.id} ({device.status || "unknown"})
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={!pick || add.busy}>
            {add.busy ? <Spinner label="Adding…" /> : "Add to group"}
          </button>
        </form>
      )}
      <ErrorBanner error={add.error ?? remove.error ?? devices.error} />
      {deviceIds.length === 0 ? (
        <EmptyState title="This group has no devices.">
          {group.isDynamic
            ? "No device's labels match the query. Change the query, or set labels on devices from their pages."
            : "Pick a device above and add it."}
        </EmptyState>
      ) : (
        <>
          <table aria-label="Members">
            <TableHead columns={["Host name", "State", "Labels"]} hidden={!group.isDynamic && "Remove"} />
            <tbody>
              {deviceIds.slice(0, shown).map((id) => {
                const device = index.get(id);
                return (
                  <tr key={id}>
                    <td>
                      <Link href={`/devices/${id}`}>{deviceName(index, id)}</Link>
                    </td>
                    <td>{device ? <DeviceStatus status={device.status} /> : <span class="muted">…</span>}</td>
                    <td>
                      {Object.entries(device?.labels ?? {}).map(([key, value]) => (
                        <span class="label" key={key}>
                          {key}={value}
                        </span>
                      ))}
                    </td>
                    {!group.isDynamic && (
                      <td>
                        <button
                          type="button"
                          class="danger"
                          disabled={remove.busy}
                          aria-label={`Remove ${deviceName(index, id)} from the group`}
                          onClick={() => void remove.run(id)}
                        >
                          Remove
                        </button>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
          {deviceIds.length > shown && (
            <p>
              <button type="button" onClick={() => setShown(shown + shownStep)}>
                Show {Math.min(shownStep, deviceIds.length - shown)} more of {deviceIds.length - shown}
              </button>
            </p>
          )}
        </>
      )}
    </section>
  );
}
