// Action sets and definitions are the same shape (a named, ordered list of members: actions in
// a set, sets in a definition), so one list page and one detail page serve both, each given
// the RPCs of its kind.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { Link, navigate } from "../router";
import { useAsync, useCommand } from "../ui/async";
import { ConfirmButton, EmptyState, ErrorBanner, Field, Notice, PageHeader, Spinner, Time } from "../ui/components";
import { InputField } from "../ui/input-field";
import { TableHead } from "../ui/table-head";
import { ListPager } from "../ui/list-pager";
import { usePaging } from "../ui/paging";
import { MemberList, type MemberRow } from "./members";
import "./configuration.css";

/** A set or a definition as its list shows it. */
export interface CollectionItem {
  id: string;
  name: string;
  description: string;
  memberCount: number;
  createdAt?: Timestamp;
}

/** The RPCs and words of one kind of collection. */
export interface CollectionKind {
  /** "action set" / "definition". */
  noun: string;
  /** The page title ("Action sets"). */
  title: string;
  /** A sentence on what the kind is for, under the list's title. */
  purpose: preact.ComponentChildren;
  /** Where the list lives ("/action-sets"); items live under it. */
  path: string;
  /** What a member is ("action"). */
  memberNoun: string;
  /** What to do when there is nothing to add. */
  noCandidates: preact.ComponentChildren;
  list: (pageToken: string, pageSize: number) => Promise<{ items: CollectionItem[]; nextPageToken: string; totalCount: number }>;
  create: (name: string, description: string) => Promise<string>;
  get: (id: string) => Promise<{ item: CollectionItem; members: { id: string; sortOrder: number }[] }>;
  rename: (id: string, name: string) => Promise<unknown>;
  describe: (id: string, description: string) => Promise<unknown>;
  remove: (id: string) => Promise<unknown>;
  /** Everything that could be a member, by id. */
  candidates: () => Promise<Map<string, Omit<MemberRow, "id">>>;
  add: (id: string, member: string, sortOrder: number) => Promise<unknown>;
  removeMember: (id: string, member: string) => Promise<unknown>;
  reorder: (id: string, member: string, sortOrder: number) => Promise<unknown>;
}

const pageSize = 50;

/** The list of one kind, with a form to create one. */
export function CollectionListPage(props: { kind: CollectionKind }) {
  const { kind } = props;
  const paging = usePaging();
  const items = useAsync(() => kind.list(paging.token, pageSize), [paging.token]);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useCommand(async () => {
    const id = await kind.create(name.trim(), description.trim());
    navigate(`${kind.path}/${id}`);
  });
  const list = items.data?.items ?? [];

  return (
    <>
      <PageHeader title={kind.title} />
      <p class="lead muted">{kind.purpose}</p>
      <form
        class="create-row"
        aria-label={`New ${kind.noun}`}
        onSubmit={(event) => {
          event.preventDefault();
          void create.run();
        }}
      >
        <InputField
          label={`Name of a new ${kind.noun}`}
          id="new-name"
          required
          maxLength={255}
          disabled={create.busy}
          value={name}
          onValue={(value) => (create.clear(), setName(value))}
        />
        <InputField
          label="Description"
          id="new-description"
          maxLength={1024}
          disabled={create.busy}
          value={description}
          onValue={setDescription}
        />
        <button type="submit" class="primary" disabled={create.busy}>
          {create.busy ? <Spinner label="Creating…" /> : `Create ${kind.noun}`}
        </button>
      </form>
      <ErrorBanner error={create.error} />
      <ErrorBanner error={items.error} onRetry={items.reload} />
      {items.loading && !items.data ? (
        <Spinner label={`Loading ${kind.title.toLowerCase()}…`} />
      ) : list.length === 0 ? (
        <EmptyState title={`No ${kind.noun}s yet.`}>Name one above, then add {kind.memberNoun}s to it.</EmptyState>
      ) : (
        <table aria-label={kind.title}>
          <TableHead columns={["Name", "Description", `${kind.memberNoun.charAt(0).toUpperCase() + kind.memberNoun.slice(1)}s`, "Created"]} />
          <tbody>
            {list.map((item) => (
              <tr key={item.id}>
                <td>
                  <Link href={`${kind.path}/${item.id}`}>{item.name}</Link>
                </td>
                <td class="clip">{item.description || <span class="muted">none</span>}</td>
                <td>{item.memberCount}</td>
                <td>
                  <Time value={item.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {items.data && (
        <ListPager paging={paging} page={items.data} shown={list.length} />
      )}
    </>
  );
}

/** One set or definition: its name and description, and its ordered members. */
export function CollectionPage(props: { kind: CollectionKind; id: string }) {
  const { kind, id } = props;
  const loaded = useAsync(() => kind.get(id), [id]);
  const candidates = useAsync(() => kind.candidates(), []);

  // Members are shown by name, so the page waits for the names too (or for their failure).
  if (!loaded.data || (!candidates.data && !candidates.error)) {
    return (
      <>
        <PageHeader title={kind.noun.charAt(0).toUpperCase() + kind.noun.slice(1)} />
        {loaded.loading || (loaded.data && !candidates.data) ? (
          <Spinner label={`Loading the ${kind.noun}…`} />
        ) : /not found/i.test(loaded.error ?? "") ? (
          <EmptyState title={`This ${kind.noun} does not exist (any more).`}>
            <Link href={kind.path}>Back to the {kind.noun}s</Link>
          </EmptyState>
        ) : (
          <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
        )}
      </>
    );
  }
  return (
    <CollectionEditor
      key={loaded.data.item.id}
      kind={kind}
      item={loaded.data.item}
      members={loaded.data.members}
      candidates={candidates.data}
      candidatesError={candidates.error}
      reload={loaded.reload}
      reloading={loaded.loading}
    />
  );
}

function CollectionEditor(props: {
  kind: CollectionKind;
  item: CollectionItem;
  members: { id: string; sortOrder: number }[];
  candidates?: Map<string, Omit<MemberRow, "id">>;
  candidatesError?: string;
  reload: () => void;
  reloading: boolean;
}) {
  const { kind, item, candidates } = props;
  const [name, setName] = useState(item.name);
  const [description, setDescription] = useState(item.description);
  const [notice, setNotice] = useState("");
  const [picked, setPicked] = useState("");
  // The order shown while a move is being saved, so the row does not jump back meanwhile.
  const [pending, setPending] = useState<string[]>();

  const rows: MemberRow[] = (pending ?? props.members.map((member) => member.id)).map((memberId) => {
    const known = candidates?.get(memberId);
    return { id: memberId, name: known?.name ?? memberId, detail: known?.detail, href: known?.href ?? "" };
  });

  const save = useCommand(async () => {
    if (name.trim() !== item.name) await kind.rename(item.id, name.trim());
    if (description.trim() !== item.description) await kind.describe(item.id, description.trim());
    setNotice("Saved.");
    props.reload();
  });
  const remove = useCommand(async () => {
    await kind.remove(item.id);
    navigate(kind.path);
  });
  const add = useCommand(async (memberId: string) => {
    const last = Math.max(-1, ...props.members.map((member) => member.sortOrder));
    await kind.add(item.id, memberId, last + 1);
    setPicked("");
    props.reload();
  });
  const drop = useCommand(async (memberId: string) => {
    await kind.removeMember(item.id, memberId);
    props.reload();
  });
  // The API stores each member's sort order as given (no shifting), so a move renumbers the
  // members 0..n-1 and sends one reorder for each whose number changed.
  const reorder = useCommand(async (ids: string[]) => {
    setPending(ids);
    try {
      const before = new Map(props.members.map((member) => [member.id, member.sortOrder]));
      for (const [index, memberId] of ids.entries()) {
        if (before.get(memberId) !== index) await kind.reorder(item.id, memberId, index);
      }
    } catch (error) {
      setPending(undefined);
      throw error;
    } finally {
      props.reload();
    }
  });
  // The new order stays on screen until the reloaded members replace it: going back to the old
  // order in between would move the rows twice and lose the keyboard focus.
  useEffect(() => setPending(undefined), [props.members]);

  const memberIds = new Set(props.members.map((member) => member.id));
  const choices = [...(candidates?.entries() ?? [])].filter(([candidate]) => !memberIds.has(candidate) && candidate !== item.id);
  const busy = add.busy || drop.busy || reorder.busy || props.reloading;
  const Noun = kind.noun.charAt(0).toUpperCase() + kind.noun.slice(1);

  return (
    <>
      <PageHeader title={item.name}>
        <Link href={kind.path} class="button">
          All {kind.noun}s
        </Link>
        <ConfirmButton
          label="Delete"
          question={`Delete the ${kind.noun} "${item.name}"?`}
          disabled={remove.busy}
          onConfirm={() => void remove.run()}
        />
      </PageHeader>
      <p class="muted">
        {Noun} · created <Time value={item.createdAt} /> · id <code>{item.id}</code>
      </p>
      <ErrorBanner error={remove.error} />

      <section aria-labelledby="members-title">
        <h2 id="members-title">
          {kind.memberNoun.charAt(0).toUpperCase() + kind.memberNoun.slice(1)}s, in the order they run
        </h2>
        <ErrorBanner error={props.candidatesError} />
        <ErrorBanner error={reorder.error ?? drop.error} />
        {rows.length === 0 ? (
          <EmptyState title={`This ${kind.noun} has no ${kind.memberNoun}s yet.`}>Add one below.</EmptyState>
        ) : (
          <MemberList
            noun={kind.memberNoun}
            members={rows}
            busy={busy}
            onReorder={(ids) => reorder.run(ids)}
            onRemove={(member) => void drop.run(member.id)}
          />
        )}
        <form
          class="create-row"
          aria-label={`Add ${kind.memberNoun}`}
          onSubmit={(event) => {
            event.preventDefault();
            if (picked) void add.run(picked);
          }}
        >
          <Field label={`${kind.memberNoun.charAt(0).toUpperCase() + kind.memberNoun.slice(1)} to add`} id="add-member">
            <select id="add-member" value={picked} disabled={busy || !candidates} onChange={(event) => (add.clear(), setPicked(event.currentTarget.value))}>
              <option value="">{candidates ? (choices.length ? `Choose an ${kind.memberNoun}…` : `No ${kind.memberNoun}s left to add`) : "Loading…"}</option>
              {choices.map(([candidate, row]) => (
                <option key={candidate} value={candidate}>
                  {row.name}
                  {row.detail ? ` (${row.detail})` : ""}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" disabled={busy || !picked}>
            {add.busy ? <Spinner label="Adding…" /> : "Add"}
          </button>
        </form>
        {candidates && candidates.size === 0 && <p class="muted">{kind.noCandidates}</p>}
        <ErrorBanner error={add.error} />
      </section>

      <section aria-labelledby="about-title">
        <h2 id="about-title">Name and description</h2>
        <form
          class="form"
          aria-label={`Edit ${kind.noun}`}
          onSubmit={(event) => {
            event.preventDefault();
            void save.run();
          }}
        >
          <Field label="Name" id="item-name">
            <input id="item-name" value={name} required maxLength={255} disabled={save.busy} onInput={(event) => (setNotice(""), save.clear(), setName(event.currentTarget.value))} />
          </Field>
          <Field label="Description" id="item-description">
            <textarea id="item-description" class="short prose" value={description} maxLength={1024} disabled={save.busy} onInput={(event) => (setNotice(""), setDescription(event.currentTarget.value))} />
          </Field>
          <ErrorBanner error={save.error} />
          {notice && <Notice>{notice}</Notice>}
          <div class="form-actions">
            <button type="submit" class="primary" disabled={save.busy || (name.trim() === item.name && description.trim() === item.description)}>
              {save.busy ? <Spinner label="Saving…" /> : "Save"}
            </button>
          </div>
        </form>
      </section>
    </>
  );
}
