// Running something now: an ad-hoc shell command or a stored action, action set or definition,
// on one device, several picked devices or a group; then every execution's state and output,
// live, until all have finished. ?group=ID or ?device=ID preselects the target.
import { useState } from "preact/hooks";
import type { ActionExecution } from "../gen/pm/v1/control_pb";
import { Link, useLocation } from "../router";
import { useCommand } from "../ui/async";
import { ErrorBanner, Field, PageHeader, Spinner } from "../ui/components";
import { DeviceChecklist } from "./device-checklist";
import { DispatchLive } from "./dispatch-live";
import { dispatch, type What, type Where } from "./dispatch-run";
import { useAllDevices, useAllGroups, useAllSources } from "./fleet-lookups";
import { SourceField } from "./source-field";

type WhatKind = "shell" | "stored";
type WhereKind = Where["kind"];

/** The dispatch page, at /dispatch. */
export function DispatchPage() {
  const { query } = useLocation();
  const groups = useAllGroups();
  const sources = useAllSources();

  const [whatKind, setWhatKind] = useState<WhatKind>("shell");
  const [script, setScript] = useState("");
  const [interpreter, setInterpreter] = useState("/bin/sh");
  const [runAsRoot, setRunAsRoot] = useState(false);
  const [timeout, setTimeoutSeconds] = useState("300");
  const [sourceKey, setSourceKey] = useState("");
  const [whereKind, setWhereKind] = useState<WhereKind>(query.get("device") ? "device" : "group");
  const [deviceId, setDeviceId] = useState(query.get("device") ?? "");
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [groupId, setGroupId] = useState(query.get("group") ?? "");
  const [started, setStarted] = useState<ActionExecution[]>();
  // Only the device pickers need the whole fleet.
  const devices = useAllDevices(whereKind !== "group");

  const source = sources.data?.find((item) => `${item.type}:${item.id}` === sourceKey);
  const what: What | undefined =
    whatKind === "shell"
      ? script.trim()
        ? { kind: "shell", script, interpreter, runAsRoot, timeoutSeconds: Number(timeout) || 0 }
        : undefined
      : source && { kind: "stored", source };
  const where: Where | undefined =
    whereKind === "device"
      ? deviceId
        ? { kind: "device", id: deviceId }
        : undefined
      : whereKind === "devices"
        ? picked.size
          ? { kind: "devices", ids: [...picked] }
          : undefined
        : groupId
          ? { kind: "group", id: groupId }
          : undefined;

  const run = useCommand(async () => {
    if (!what || !where) return;
    setStarted(undefined);
    setStarted(await dispatch(what, where));
  });
  const loading = devices.loading || groups.loading || sources.loading;
  const timeoutBad = !/^\d+$/.test(timeout) || Number(timeout) > 3600;

  return (
    <>
      <PageHeader title="Dispatch">
        <Link href="/executions" class="button">
          All executions
        </Link>
      </PageHeader>
      <ErrorBanner error={devices.error ?? groups.error ?? sources.error} />
      <form
        class="dispatch card"
        onSubmit={(event) => {
          event.preventDefault();
          if (what && where && !timeoutBad) void run.run();
        }}
      >
        <fieldset class="choice">
          <legend>What to run</legend>
          <label>
            <input type="radio" name="what" checked={whatKind === "shell"} onChange={() => setWhatKind("shell")} />
            A shell command
          </label>
          <label>
            <input type="radio" name="what" checked={whatKind === "stored"} onChange={() => setWhatKind("stored")} />
            A stored action, action set or definition
          </label>
        </fieldset>
        {whatKind === "shell" ? (
          <div class="form">
            <Field label="Command" id="dispatch-script" hint="Runs once on each device; its output appears below.">
              <textarea
                id="dispatch-script"
                value={script}
                spellcheck={false}
                placeholder="uptime && df -h /"
                aria-describedby="dispatch-script-hint"
                onInput={(event) => setScript(event.currentTarget.value)}
              />
            </Field>
            <div class="form-row">
              <Field label="Interpreter" id="dispatch-interpreter">
                <select id="dispatch-interpreter" value={interpreter} onChange={(event) => setInterpreter(event.currentTarget.value)}>
                  <option value="/bin/sh">/bin/sh</option>
                  <option value="/bin/bash">/bin/bash</option>
                  <option value="/usr/bin/python3">/usr/bin/python3</option>
                </select>
              </Field>
              <Field label="Timeout (seconds)" id="dispatch-timeout" error={timeoutBad ? "A whole number from 0 to 3600." : undefined}>
                <input
                  id="dispatch-timeout"
                  inputMode="numeric"
                  value={timeout}
                  aria-invalid={timeoutBad}
                  onInput={(event) => setTimeoutSeconds(event.currentTarget.value)}
                />
              </Field>
              <label class="check">
                <input type="checkbox" checked={runAsRoot} onChange={(event) => setRunAsRoot(event.currentTarget.checked)} />
                Run as root
              </label>
            </div>
          </div>
        ) : (
          <div class="form">
            <SourceField
              label="Item"
              id="dispatch-source"
              value={sourceKey}
              sources={sources.data}
              loading={sources.loading}
              onChange={(event) => setSourceKey(event.currentTarget.value)}
            />
            {!sources.loading && (sources.data ?? []).length === 0 && (
              <p class="hint">
                Nothing is stored yet: create an <Link href="/actions">action</Link>, or run a shell command instead.
              </p>
            )}
          </div>
        )}

        <fieldset class="choice">
          <legend>Where</legend>
          <label>
            <input type="radio" name="where" checked={whereKind === "group"} onChange={() => setWhereKind("group")} />
            A device group
          </label>
          <label>
            <input type="radio" name="where" checked={whereKind === "device"} onChange={() => setWhereKind("device")} />
            One device
          </label>
          <label>
            <input type="radio" name="where" checked={whereKind === "devices"} onChange={() => setWhereKind("devices")} />
            Several devices
          </label>
        </fieldset>
        {whereKind === "group" && (
          <div class="form">
            <Field label="Group" id="dispatch-group">
              <select id="dispatch-group" value={groupId} onChange={(event) => setGroupId(event.currentTarget.value)}>
                <option value="">{groups.loading ? "loading…" : "choose"}</option>
                {(groups.data ?? []).map((group) => (
                  <option key={group.id} value={group.id}>
                    {group.name} ({group.memberCount} {group.memberCount === 1 ? "device" : "devices"})
                  </option>
                ))}
              </select>
            </Field>
            {!groups.loading && (groups.data ?? []).length === 0 && (
              <p class="hint">
                There are no groups yet: <Link href="/groups/new">create one</Link>, or pick devices.
              </p>
            )}
          </div>
        )}
        {whereKind === "device" && (
          <div class="form">
            <Field label="Device" id="dispatch-device">
              <select id="dispatch-device" value={deviceId} onChange={(event) => setDeviceId(event.currentTarget.value)}>
                <option value="">{devices.loading ? "loading…" : "choose"}</option>
                {(devices.data ?? []).map((device) => (
                  <option key={device.id} value={device.id}>
                    {device.hostname || device.id} ({device.status || "unknown"})
                  </option>
                ))}
              </select>
            </Field>
          </div>
        )}
        {whereKind === "devices" && <DeviceChecklist devices={devices.data ?? []} selected={picked} onChange={setPicked} />}

        <ErrorBanner error={run.error} />
        <div class="form-actions">
          <button type="submit" class="primary" disabled={run.busy || loading || !what || !where || timeoutBad}>
            {run.busy ? <Spinner label="Dispatching…" /> : "Run now"}
          </button>
        </div>
      </form>
      {started && <DispatchLive executions={started} />}
    </>
  );
}
