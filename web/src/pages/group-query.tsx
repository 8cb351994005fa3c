// How a group's members are chosen: switch static/dynamic and edit the query (checked live),
// saved with UpdateDeviceGroupQuery; a dynamic group can be re-evaluated on demand.
import { useEffect, useState } from "preact/hooks";
import { client } from "../api";
import type { DeviceGroup } from "../gen/pm/v1/control_pb";
import { useCommand } from "../ui/async";
import { ErrorBanner, Notice, Spinner } from "../ui/components";
import { MembershipChoice } from "./group-membership-choice";
import { QueryEditor, type QueryCheck } from "./query-editor";

/** The membership section of the group editor. */
export function GroupQuery(props: { group: DeviceGroup; onSaved: () => void }) {
  const { group } = props;
  const [dynamic, setDynamic] = useState(group.isDynamic);
  const [query, setQuery] = useState(group.dynamicQuery);
  const [check, setCheck] = useState<QueryCheck>({ state: "checking" });
  const [notice, setNotice] = useState<string>();
  useEffect(() => {
    setDynamic(group.isDynamic);
    setQuery(group.dynamicQuery);
  }, [group.id, group.isDynamic, group.dynamicQuery]);

  const save = useCommand(async () => {
    const response = await client.updateDeviceGroupQuery({
      id: group.id,
      isDynamic: dynamic,
      dynamicQuery: dynamic ? query : "",
    });
    const count = response.group?.memberCount ?? 0;
    setNotice(`Saved. The group has ${count} ${count === 1 ? "member" : "members"}.`);
    props.onSaved();
  });
  const evaluate = useCommand(async () => {
    const response = await client.evaluateDynamicGroup({ id: group.id });
    const count = response.group?.memberCount ?? 0;
    setNotice(
      `Evaluated: ${response.devicesAdded} joined, ${response.devicesRemoved} left; ${count} ${count === 1 ? "member" : "members"} now.`,
    );
    props.onSaved();
  });

  const changed = dynamic !== group.isDynamic || (dynamic && query !== group.dynamicQuery);
  const blocked = dynamic && check.state === "invalid";
  return (
    <section aria-labelledby="membership-title">
      <h2 id="membership-title">Membership</h2>
      <form
        class="form card"
        onSubmit={(event) => {
          event.preventDefault();
          if (!blocked) void save.run();
        }}
      >
        <MembershipChoice
          dynamic={dynamic}
          onChange={(value) => {
            setNotice(undefined);
            setDynamic(value);
          }}
        />
        {dynamic && (
          <QueryEditor
            id="group-query"
            value={query}
            onInput={(value) => {
              setNotice(undefined);
              setQuery(value);
            }}
            onCheck={setCheck}
          />
        )}
        {!dynamic && group.isDynamic && (
          <p class="hint">Saving keeps the current members; from then on you add and remove them by hand.</p>
        )}
        <ErrorBanner error={save.error ?? evaluate.error} />
        {notice && <Notice>{notice}</Notice>}
        <div class="form-actions">
          <button type="submit" class="primary" disabled={save.busy || !changed || blocked}>
            {save.busy ? <Spinner label="Saving…" /> : dynamic ? "Save query" : "Save membership"}
          </button>
          {group.isDynamic && (
            <button type="button" disabled={evaluate.busy || changed} onClick={() => void evaluate.run()}>
              {evaluate.busy ? <Spinner label="Evaluating…" /> : "Re-evaluate now"}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
