// Who a device belongs to and how often its agent syncs: the administrator's settings of one
// device.
import { useEffect, useState } from "preact/hooks";
import { client } from "../api";
import type { Device } from "../gen/pm/v1/control_pb";
import { useCommand } from "../ui/async";
import { ErrorBanner, Spinner } from "../ui/components";
import { emailOf, useAllUsers } from "../ui/user-names";

/** The assigned user (pick or unassign) and the sync interval of `device`. */
export function DeviceSettings(props: { device: Device; onChanged: () => void }) {
  const { device } = props;
  const users = useAllUsers();
  const [owner, setOwner] = useState(device.assignedUserId);
  const [syncDraft, setSyncDraft] = useState(String(device.syncIntervalMinutes));
  useEffect(() => setOwner(device.assignedUserId), [device.assignedUserId]);
  useEffect(() => setSyncDraft(String(device.syncIntervalMinutes)), [device.syncIntervalMinutes]);
  const command = useCommand(async (change: () => Promise<unknown>) => {
    await change();
    props.onChanged();
  });

  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Assigned user and sync</h2>
      <ErrorBanner error={command.error ?? users.error} />
      <div class="settings-grid">
        <form
          class="filters"
          aria-label="Assigned user"
          onSubmit={(event) => {
            event.preventDefault();
            if (owner) void command.run(() => client.assignDevice({ deviceId: device.id, userId: owner }));
          }}
        >
          <label>
            <span id="owner-label">Assigned user</span>
            <select aria-labelledby="owner-label" value={owner} disabled={!users.data} onChange={(event) => setOwner(event.currentTarget.value)}>
              <option value="">nobody</option>
              {device.assignedUserId && !users.data?.some((user) => user.id === device.assignedUserId) && (
                <option value={device.assignedUserId}>{emailOf(users.data, device.assignedUserId)}</option>
              )}
              {(users.data ?? []).map((user) => (
                <option key={user.id} value={user.id}>
                  {user.email} ({user.role})
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={command.busy || !owner || owner === device.assignedUserId}>
            Assign
          </button>
          {device.assignedUserId && (
            <button
              type="button"
              disabled={command.busy}
              onClick={() => void command.run(() => client.unassignDevice({ deviceId: device.id }))}
            >
              Unassign
            </button>
          )}
        </form>
        <form
          class="filters"
          aria-label="Sync interval"
          onSubmit={(event) => {
            event.preventDefault();
            void command.run(() =>
              client.setDeviceSyncInterval({ id: device.id, syncIntervalMinutes: Number(syncDraft || "0") }),
            );
          }}
        >
          <label>
            <span id="sync-label">Sync interval (minutes)</span>
            <input
              aria-labelledby="sync-label"
              type="number"
              min="0"
              max="1440"
              step="1"
              value={syncDraft}
              aria-describedby="sync-hint"
              onInput={(event) => setSyncDraft(event.currentTarget.value)}
            />
          </label>
          <button type="submit" disabled={command.busy || syncDraft === String(device.syncIntervalMinutes)}>
            Save
          </button>
          <small class="hint" id="sync-hint">
            0 = the default, every 30 minutes; at most 1440 (a day). A group's interval overrides it.
          </small>
        </form>
        {command.busy && <Spinner label="Saving…" />}
      </div>
    </section>
  );
}
