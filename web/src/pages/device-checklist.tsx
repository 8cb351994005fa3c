// Picking several devices: a filter over host names and labels, a checkbox per device, and
// "select all shown" for the common case of "these twenty".
import { useState } from "preact/hooks";
import type { Device } from "../gen/pm/v1/control_pb";
import { DeviceStatus } from "../ui/status";

const shownMax = 300;

/** A filtered checkbox list of devices; `selected` holds the picked ids. */
export function DeviceChecklist(props: { devices: Device[]; selected: Set<string>; onChange: (selected: Set<string>) => void }) {
  const [filter, setFilter] = useState("");
  const needle = filter.trim().toLowerCase();
  const matching = props.devices.filter(
    (device) =>
      !needle ||
      device.hostname.toLowerCase().includes(needle) ||
      Object.entries(device.labels).some(([key, value]) => `${key}=${value}`.toLowerCase().includes(needle)),
  );
  const shown = matching.slice(0, shownMax);
  const toggle = (id: string, on: boolean) => {
    const next = new Set(props.selected);
    if (on) next.add(id);
    else next.delete(id);
    props.onChange(next);
  };
  return (
    <fieldset class="checklist">
      <legend>Devices ({props.selected.size} picked)</legend>
      <div class="filters">
        <label>
          Filter
          <input
            type="search"
            value={filter}
            placeholder="host name or key=value"
            onInput={(event) => setFilter(event.currentTarget.value)}
          />
        </label>
        <button type="button" onClick={() => props.onChange(new Set([...props.selected, ...shown.map((device) => device.id)]))}>
          Pick all {shown.length} shown
        </button>
        <button type="button" disabled={props.selected.size === 0} onClick={() => props.onChange(new Set())}>
          Clear
        </button>
      </div>
      <ul class="checklist-items">
        {shown.map((device) => (
          <li key={device.id}>
            <label>
              <input
                type="checkbox"
                checked={props.selected.has(device.id)}
                onChange={(event) => toggle(device.id, event.currentTarget.checked)}
              />
              {device.hostname || device.id} <DeviceStatus status={device.status} />
            </label>
          </li>
        ))}
      </ul>
      {matching.length > shown.length && (
        <p class="hint">
          {matching.length - shown.length} more match: narrow the filter, or dispatch to a group instead.
        </p>
      )}
    </fieldset>
  );
}
