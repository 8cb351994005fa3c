// One device group at /groups/:id: its name and description, how its members are chosen, the
// members themselves, and the way to dispatch to it or delete it.
import { useEffect, useState } from "preact/hooks";
import { client } from "../api";
import type { DeviceGroup } from "../gen/pm/v1/control_pb";
import { Link, navigate } from "../router";
import { useAsync, useCommand } from "../ui/async";
import { ConfirmButton, EmptyState, ErrorBanner, Field, Notice, PageHeader, Spinner, Time } from "../ui/components";
import { GroupMembers } from "./group-members";
import { GroupQuery } from "./group-query";

/** The group editor. */
export function GroupDetailPage(props: { params: Record<string, string> }) {
  const id = props.params.id;
  const group = useAsync(() => client.getDeviceGroup({ id }), [id]);
  const remove = useCommand(async () => {
    await client.deleteDeviceGroup({ id });
    navigate("/groups");
  });

  if (group.loading && !group.data) return <Spinner label="Loading the group…" />;
  if (!group.data?.group) {
    return (
      <>
        <PageHeader title="Device group" />
        {group.error && group.error.toLowerCase().includes("not found") ? (
          <EmptyState title="This group does not exist (any more).">
            Go back to the <Link href="/groups">device groups</Link>.
          </EmptyState>
        ) : (
          <ErrorBanner error={group.error} onRetry={group.reload} />
        )}
      </>
    );
  }
  const current = group.data.group;
  return (
    <>
      <PageHeader title={current.name}>
        <Link href={`/dispatch?group=${current.id}`} class="button primary">
          Dispatch to this group
        </Link>
        <ConfirmButton
          label={remove.busy ? "Deleting…" : "Delete group"}
          question={`Delete the group ${current.name}? Its devices stay; assignments to the group end.`}
          disabled={remove.busy}
          onConfirm={() => void remove.run()}
        />
      </PageHeader>
      <ErrorBanner error={remove.error} />
      <ErrorBanner error={group.error} onRetry={group.reload} />
      <dl class="facts">
        <dt>Members</dt>
        <dd>{current.memberCount}</dd>
        <dt>Created</dt>
        <dd>
          <Time value={current.createdAt} />
        </dd>
        <dt>Id</dt>
        <dd>
          <code>{current.id}</code>
        </dd>
      </dl>
      <GroupDetails group={current} onSaved={group.reload} />
      <GroupQuery group={current} onSaved={group.reload} />
      <GroupMembers group={current} deviceIds={group.data.deviceIds} onChanged={group.reload} />
    </>
  );
}

/** Name and description, saved with the RPC for whichever changed. */
function GroupDetails(props: { group: DeviceGroup; onSaved: () => void }) {
  const { group } = props;
  const [name, setName] = useState(group.name);
  const [description, setDescription] = useState(group.description);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setName(group.name);
    setDescription(group.description);
  }, [group.id, group.name, group.description]);
  const save = useCommand(async () => {
    if (name.trim() !== group.name) await client.renameDeviceGroup({ id: group.id, name: name.trim() });
    if (description.trim() !== group.description) {
      await client.updateDeviceGroupDescription({ id: group.id, description: description.trim() });
    }
    setSaved(true);
    props.onSaved();
  });
  const changed = name.trim() !== group.name || description.trim() !== group.description;
  return (
    <section aria-labelledby="details-title">
      <h2 id="details-title">Details</h2>
      <form
        class="form card"
        onSubmit={(event) => {
          event.preventDefault();
          void save.run();
        }}
      >
        <Field label="Name" id="group-name">
          <input
            id="group-name"
            value={name}
            required
            onInput={(event) => {
              setSaved(false);
              setName(event.currentTarget.value);
            }}
          />
        </Field>
        <Field label="Description" id="group-description">
          <input
            id="group-description"
            value={description}
            onInput={(event) => {
              setSaved(false);
              setDescription(event.currentTarget.value);
            }}
          />
        </Field>
        <ErrorBanner error={save.error} />
        {saved && !changed && <Notice>Saved.</Notice>}
        <div class="form-actions">
          <button type="submit" disabled={save.busy || !changed || !name.trim()}>
            {save.busy ? <Spinner label="Saving…" /> : "Save details"}
          </button>
        </div>
      </form>
    </section>
  );
}
