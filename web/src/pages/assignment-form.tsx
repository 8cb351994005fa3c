// Creating an assignment: what (an action, action set or definition), to whom (a device or a
// device group), and the mode.
import { useState } from "preact/hooks";
import { client } from "../api";
import type { AssignmentMode } from "../gen/pm/v1/common_pb";
import type { DeviceGroup } from "../gen/pm/v1/control_pb";
import { Link } from "../router";
import { useCommand } from "../ui/async";
import { ErrorBanner, Field, Notice, Spinner } from "../ui/components";
import { modes } from "./assignment-words";
import { useAllDevices, type Source } from "./fleet-lookups";
import { SourceField } from "./source-field";

/** The "New assignment" form above the list. */
export function AssignmentForm(props: {
  sources?: Source[];
  groups?: DeviceGroup[];
  loading: boolean;
  onCreated: () => void;
}) {
  const [source, setSource] = useState("");
  const [targetType, setTargetType] = useState<"device_group" | "device">("device_group");
  const [target, setTarget] = useState("");
  const [mode, setMode] = useState<AssignmentMode>(modes[0].mode);
  const [done, setDone] = useState(false);
  // The whole fleet only when a device is the target: a large fleet takes many calls to list.
  const devices = useAllDevices(targetType === "device");
  const create = useCommand(async () => {
    const [sourceType, sourceId] = source.split(":");
    await client.createAssignment({ sourceType, sourceId, targetType, targetId: target, mode });
    setDone(true);
    props.onCreated();
  });
  // Any new choice hides the last success and error: they spoke of the previous choice.
  const picked = (apply: (value: string) => void) => (event: { currentTarget: { value: string } }) => {
    setDone(false);
    create.clear();
    apply(event.currentTarget.value);
  };

  const targets =
    targetType === "device_group"
      ? (props.groups ?? []).map((group) => ({ id: group.id, name: `${group.name} (${group.memberCount} devices)` }))
      : (devices.data ?? []).map((device) => ({ id: device.id, name: device.hostname || device.id }));
  const nothingToAssign = !props.loading && (props.sources ?? []).length === 0;

  return (
    <section aria-labelledby="new-assignment-title">
      <h2 id="new-assignment-title">New assignment</h2>
      {nothingToAssign ? (
        <p class="empty">
          There is nothing to assign yet: create an <Link href="/actions">action</Link> first.
        </p>
      ) : (
        <form
          class="form card form-row"
          onSubmit={(event) => {
            event.preventDefault();
            void create.run();
          }}
        >
          <SourceField
            label="What"
            id="assign-source"
            value={source}
            sources={props.sources}
            loading={props.loading}
            onChange={picked(setSource)}
          />
          <Field label="To a" id="assign-target-type">
            <select
              id="assign-target-type"
              value={targetType}
              onChange={picked((value) => {
                setTarget("");
                setTargetType(value as "device_group" | "device");
              })}
            >
              <option value="device_group">device group</option>
              <option value="device">device</option>
            </select>
          </Field>
          <Field label={targetType === "device_group" ? "Group" : "Device"} id="assign-target">
            <select
              id="assign-target"
              value={target}
              onChange={picked(setTarget)}
            >
              <option value="">{props.loading || devices.loading ? "loading…" : `choose (${targets.length})`}</option>
              {targets.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Mode" id="assign-mode" hint={modes.find((entry) => entry.mode === mode)?.meaning}>
            <select
              id="assign-mode"
              value={String(mode)}
              aria-describedby="assign-mode-hint"
              onChange={picked((value) => setMode(Number(value) as AssignmentMode))}
            >
              {modes.map((entry) => (
                <option key={entry.mode} value={String(entry.mode)}>
                  {entry.word}
                </option>
              ))}
            </select>
          </Field>
          <div class="form-actions">
            <button type="submit" class="primary" disabled={create.busy || !source || !target}>
              {create.busy ? <Spinner label="Assigning…" /> : "Assign"}
            </button>
          </div>
          <div class="form-wide">
            <ErrorBanner error={create.error ?? devices.error} />
            {done && <Notice>Assigned.</Notice>}
          </div>
        </form>
      )}
    </section>
  );
}
