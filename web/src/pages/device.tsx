// One device: its facts and live state, labels, owner and sync interval, groups, what is
// assigned to it and what ran on it; deleting it (after a question) returns to the list.
import { client, isNotFound } from "../api";
import { navigate, Link } from "../router";
import { useSession } from "../session";
import { useAsync, useCommand } from "../ui/async";
import { ConfirmButton, EmptyState, ErrorBanner, PageHeader, Spinner, Time } from "../ui/components";
import { DeviceStatus } from "../ui/status";
import { emailOf, useAllUsers } from "../ui/user-names";
import { DeviceAssignments, DeviceExecutions } from "./device-activity";
import { DeviceGroups } from "./device-groups";
import { DeviceLabels } from "./device-labels";
import { DeviceSettings } from "./device-settings";

const refreshMs = 5000;

/** The device page, /devices/:id. */
export function DevicePage(props: { params: Record<string, string> }) {
  const id = props.params.id;
  const { isAdmin, user } = useSession();
  // A not-found answer is kept apart from other errors: it means the device is gone for good.
  const device = useAsync(
    () =>
      client.getDevice({ id }).then(
        (response) => ({ device: response.device, missing: false }),
        (error) => {
          if (isNotFound(error)) return { device: undefined, missing: true };
          throw error;
        },
      ),
    [id],
    refreshMs,
  );
  const users = useAllUsers(isAdmin);
  const remove = useCommand(async () => {
    await client.deleteDevice({ id });
    navigate("/devices");
  });

  const shown = device.data?.device;
  if (device.data?.missing) {
    return (
      <>
        <PageHeader title="Device not found" />
        <EmptyState title="There is no such device; it may have been deleted.">
          <Link href="/devices">Back to the devices</Link>
        </EmptyState>
      </>
    );
  }
  if (!shown) {
    return (
      <>
        <PageHeader title="Device" />
        <ErrorBanner error={device.error} onRetry={device.reload} />
        {device.loading && <Spinner label="Loading the device…" />}
      </>
    );
  }

  return (
    <>
      <p class="breadcrumb">
        <Link href="/devices">{isAdmin ? "Devices" : "My devices"}</Link> /
      </p>
      <PageHeader title={shown.hostname || shown.id}>
        {isAdmin && (
          <ConfirmButton
            label={remove.busy ? "Deleting…" : "Delete device"}
            question={`Delete ${shown.hostname || shown.id}? Its agent can no longer connect and must enrol again with a new token.`}
            disabled={remove.busy}
            onConfirm={() => void remove.run()}
          />
        )}
      </PageHeader>
      <ErrorBanner error={remove.error ?? device.error} />
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <DeviceStatus status={shown.status} />
        </dd>
        <dt>Last seen</dt>
        <dd>
          <Time value={shown.lastSeenAt} />
        </dd>
        <dt>Device id</dt>
        <dd>
          <code>{shown.id}</code>
        </dd>
        <dt>Agent version</dt>
        <dd>{shown.agentVersion || <span class="muted">unknown</span>}</dd>
        <dt>Enrolled</dt>
        <dd>
          <Time value={shown.registeredAt} />
        </dd>
        <dt>Certificate expires</dt>
        <dd>
          <Time value={shown.certExpiresAt} empty="unknown" />
        </dd>
        <dt>Assigned to</dt>
        <dd>
          {!shown.assignedUserId ? (
            <span class="muted">nobody</span>
          ) : shown.assignedUserId === user.id ? (
            `you (${user.email})`
          ) : (
            emailOf(users.data, shown.assignedUserId)
          )}
        </dd>
        <dt>Sync interval</dt>
        <dd>{shown.syncIntervalMinutes > 0 ? `${shown.syncIntervalMinutes} min` : "default (30 min)"}</dd>
      </dl>
      <DeviceLabels device={shown} editable={isAdmin} onChanged={device.reload} />
      {isAdmin && <DeviceSettings device={shown} onChanged={device.reload} />}
      {isAdmin && <DeviceGroups deviceId={shown.id} />}
      <DeviceAssignments deviceId={shown.id} isAdmin={isAdmin} />
      {!isAdmin && (
        <p>
          <Link href={`/my-actions?device=${shown.id}`}>Choose from the actions available to this device</Link>
        </p>
      )}
      <DeviceExecutions deviceId={shown.id} />
    </>
  );
}
