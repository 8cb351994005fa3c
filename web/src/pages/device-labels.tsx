// A device's labels, edited in place: change a value, remove a label, add one. Labels drive
// dynamic groups and list filters, so every change is saved at once, one RPC per label.
import { useEffect, useState } from "preact/hooks";
import { client } from "../api";
import type { Device } from "../gen/pm/v1/control_pb";
import { useCommand } from "../ui/async";
import { EmptyState, ErrorBanner, Spinner } from "../ui/components";
import { TableHead } from "../ui/table-head";

/** The labels of `device`; editable for administrators. */
export function DeviceLabels(props: { device: Device; editable: boolean; onChanged: () => void }) {
  const { device, editable } = props;
  const entries = Object.entries(device.labels).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section aria-labelledby="labels-title">
      <h2 id="labels-title">Labels</h2>
      {entries.length === 0 && (
        <EmptyState title="No labels.">
          {editable ? "Add one below, e.g. site=berlin: groups and filters select devices by label." : undefined}
        </EmptyState>
      )}
      {entries.length > 0 && (
        <table aria-label="Labels" class="compact">
          <TableHead columns={["Key", "Value"]} hidden={editable && "Changes"} />
          <tbody>
            {entries.map(([key, value]) =>
              editable ? (
                <LabelRow key={key} deviceId={device.id} labelKey={key} value={value} onChanged={props.onChanged} />
              ) : (
                <tr key={key}>
                  <td>
                    <code>{key}</code>
                  </td>
                  <td>{value}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
      {editable && <AddLabel deviceId={device.id} onChanged={props.onChanged} />}
    </section>
  );
}

function LabelRow(props: { deviceId: string; labelKey: string; value: string; onChanged: () => void }) {
  const [draft, setDraft] = useState(props.value);
  useEffect(() => setDraft(props.value), [props.value]);
  const command = useCommand(async (change: () => Promise<unknown>) => {
    await change();
    props.onChanged();
  });
  const inputId = `label-${props.labelKey}`;
  return (
    <tr>
      <td>
        <label for={inputId}>
          <code>{props.labelKey}</code>
        </label>
      </td>
      <td>
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void command.run(() => client.setDeviceLabel({ id: props.deviceId, key: props.labelKey, value: draft }));
          }}
        >
          <input id={inputId} value={draft} onInput={(event) => setDraft(event.currentTarget.value)} />
          <button type="submit" disabled={command.busy || draft === props.value}>
            Save
          </button>
        </form>
        <ErrorBanner error={command.error} />
      </td>
      <td class="row-actions">
        {command.busy && <Spinner label="Saving…" />}
        <button
          type="button"
          aria-label={`Remove the label ${props.labelKey}`}
          disabled={command.busy}
          onClick={() => void command.run(() => client.removeDeviceLabel({ id: props.deviceId, key: props.labelKey }))}
        >
          Remove
        </button>
      </td>
    </tr>
  );
}

function AddLabel(props: { deviceId: string; onChanged: () => void }) {
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const add = useCommand(async () => {
    await client.setDeviceLabel({ id: props.deviceId, key: key.trim(), value });
    setKey("");
    setValue("");
    props.onChanged();
  });
  return (
    <form
      class="filters add-label"
      aria-label="Add a label"
      onSubmit={(event) => {
        event.preventDefault();
        void add.run();
      }}
    >
      <label>
        New label key
        <input required value={key} placeholder="site" onInput={(event) => setKey(event.currentTarget.value)} />
      </label>
      <label>
        Value
        <input value={value} placeholder="berlin" onInput={(event) => setValue(event.currentTarget.value)} />
      </label>
      <button type="submit" disabled={add.busy}>
        {add.busy ? <Spinner label="Adding…" /> : "Add label"}
      </button>
      <ErrorBanner error={add.error} />
    </form>
  );
}
