// Action sets: named, ordered lists of actions, on the shared collection pages.
import { client, listAll, maxPageSize } from "../api";
import { Link } from "../router";
import { typeLabel } from "./action-types";
import { CollectionListPage, CollectionPage, type CollectionKind } from "./collection";

// The action-set RPCs for the collection pages.
const actionSetKind: CollectionKind = {
  noun: "action set",
  title: "Action sets",
  purpose: (
    <>
      An action set runs its actions in order. Sets are assigned to devices and groups, and make up{" "}
      <Link href="/definitions">definitions</Link>.
    </>
  ),
  path: "/action-sets",
  memberNoun: "action",
  noCandidates: (
    <>
      There are no actions to add. <Link href="/actions/new">Create an action</Link> first.
    </>
  ),
  list: async (pageToken, pageSize) => {
    const page = await client.listActionSets({ pageToken, pageSize });
    return { items: page.sets, nextPageToken: page.nextPageToken, totalCount: page.totalCount };
  },
  create: async (name, description) => (await client.createActionSet({ name, description })).set!.id,
  get: async (id) => {
    const response = await client.getActionSet({ id });
    return {
      item: response.set!,
      members: response.members.map((member) => ({ id: member.actionId, sortOrder: member.sortOrder })),
    };
  },
  rename: (id, name) => client.renameActionSet({ id, name }),
  describe: (id, description) => client.updateActionSetDescription({ id, description }),
  remove: (id) => client.deleteActionSet({ id }),
  candidates: async () => {
    const actions = await listAll(async (pageToken) => {
      const page = await client.listActions({ pageSize: maxPageSize, pageToken });
      return { items: page.actions, nextPageToken: page.nextPageToken };
    });
    return new Map(
      actions.map((action) => [action.id, { name: action.name, detail: typeLabel(action.type), href: `/actions/${action.id}` }]),
    );
  },
  add: (setId, actionId, sortOrder) => client.addActionToSet({ setId, actionId, sortOrder }),
  removeMember: (setId, actionId) => client.removeActionFromSet({ setId, actionId }),
  reorder: (setId, actionId, newOrder) => client.reorderActionInSet({ setId, actionId, newOrder }),
};

/** /action-sets. */
export function ActionSetsPage() {
  return <CollectionListPage kind={actionSetKind} />;
}

/** /action-sets/:id. */
export function ActionSetPage(props: { params: Record<string, string> }) {
  return <CollectionPage kind={actionSetKind} id={props.params.id} />;
}
