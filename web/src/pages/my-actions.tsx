// The user role's self-service catalogue: for one of their devices, what an administrator made
// available (assignments in "available" mode), and their choice of each. A chosen item is
// installed by the agent's next sync; declining one removes it.
import { client, listAll, maxPageSize } from "../api";
import type { AvailableItem } from "../gen/pm/v1/control_pb";
import { Link, setQuery, useLocation } from "../router";
import { useAsync, useCommand } from "../ui/async";
import { Badge, EmptyState, ErrorBanner, PageHeader, Spinner } from "../ui/components";
import { actionTypeWord } from "./device-activity";

const kindWords: Record<string, string> = { action: "action", action_set: "action set", definition: "definition" };

/** The "My actions" page, /my-actions?device=ID. */
export function MyActionsPage() {
  const { query } = useLocation();
  const devices = useAsync(
    () =>
      listAll(async (pageToken) => {
        const page = await client.listDevices({ pageSize: maxPageSize, pageToken });
        return { items: page.devices, nextPageToken: page.nextPageToken };
      }, 1000),
    [],
  );
  const deviceId = query.get("device") || devices.data?.[0]?.id || "";

  return (
    <>
      <PageHeader title="My actions" />
      <ErrorBanner error={devices.error} onRetry={devices.reload} />
      {devices.loading && !devices.data ? (
        <Spinner label="Loading your devices…" />
      ) : !devices.data || devices.data.length === 0 ? (
        <EmptyState title="You have no devices yet.">Ask an administrator to assign a device to you.</EmptyState>
      ) : (
        <>
          <form class="filters" onSubmit={(event) => event.preventDefault()}>
            <label>
              <span id="device-pick-label">Device</span>
              <select aria-labelledby="device-pick-label" value={deviceId} onChange={(event) => setQuery({ device: event.currentTarget.value })}>
                {devices.data.map((device) => (
                  <option key={device.id} value={device.id}>
                    {device.hostname || device.id} ({device.status || "unknown"})
                  </option>
                ))}
              </select>
            </label>
          </form>
          {deviceId && <Catalogue deviceId={deviceId} />}
        </>
      )}
    </>
  );
}

function Catalogue(props: { deviceId: string }) {
  const items = useAsync(() => client.listAvailableActions({ deviceId: props.deviceId }), [props.deviceId]);
  const list = items.data?.items ?? [];
  return (
    <section aria-labelledby="catalogue-title">
      <h2 id="catalogue-title">Available for this device</h2>
      <ErrorBanner error={items.error} onRetry={items.reload} />
      {items.loading && !items.data ? (
        <Spinner label="Loading what is available…" />
      ) : list.length === 0 ? (
        <EmptyState title="Nothing is offered for this device.">
          An administrator makes software available by assigning it in “available” mode. See what is already applied on
          the <Link href={`/devices/${props.deviceId}`}>device page</Link>.
        </EmptyState>
      ) : (
        <ul class="catalogue">
          {list.map((item) => (
            <CatalogueItem key={`${item.sourceType}-${item.sourceId}`} deviceId={props.deviceId} item={item} onChanged={items.reload} />
          ))}
        </ul>
      )}
    </section>
  );
}

function CatalogueItem(props: { deviceId: string; item: AvailableItem; onChanged: () => void }) {
  const { item } = props;
  const choose = useCommand(async (selected: boolean) => {
    await client.setUserSelection({
      deviceId: props.deviceId,
      sourceType: item.sourceType,
      sourceId: item.sourceId,
      selected,
    });
    props.onChanged();
  });
  const titleId = `item-${item.sourceType}-${item.sourceId}`;
  return (
    <li class="card catalogue-item" aria-labelledby={titleId}>
      <div class="catalogue-head">
        <h3 id={titleId}>{item.sourceName}</h3>
        <Badge tone="idle">{kindWords[item.sourceType] ?? item.sourceType}</Badge>
        {item.selected ? <Badge tone="ok">chosen</Badge> : <Badge tone="idle">not chosen</Badge>}
      </div>
      {item.sourceDescription && <p>{item.sourceDescription}</p>}
      {item.sourceType !== "action" && item.actions.length > 0 && (
        <p class="muted">
          Contains: {item.actions.map((action) => `${action.name} (${actionTypeWord(action.type)})`).join(", ")}
        </p>
      )}
      <ErrorBanner error={choose.error} />
      <div class="form-actions">
        {item.selected ? (
          <button type="button" disabled={choose.busy} onClick={() => void choose.run(false)} aria-describedby={titleId}>
            {choose.busy ? <Spinner label="Saving…" /> : "Remove from this device"}
          </button>
        ) : (
          <button type="button" class="primary" disabled={choose.busy} onClick={() => void choose.run(true)} aria-describedby={titleId}>
            {choose.busy ? <Spinner label="Saving…" /> : "Install on this device"}
          </button>
        )}
      </div>
    </li>
  );
}
