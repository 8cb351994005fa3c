// Definitions: named, ordered lists of action sets (a whole machine's configuration), on the
// shared collection pages.
import { client, listAll, maxPageSize } from "../api";
import { Link } from "../router";
import { CollectionListPage, CollectionPage, type CollectionKind } from "./collection";

const definitionKind: CollectionKind = {
  noun: "definition",
  title: "Definitions",
  purpose: (
    <>
      A definition runs its <Link href="/action-sets">action sets</Link> in order: a whole configuration, such as
      "developer workstation", to assign in one go.
    </>
  ),
  path: "/definitions",
  memberNoun: "action set",
  noCandidates: (
    <>
      There are no action sets to add. <Link href="/action-sets">Create an action set</Link> first.
    </>
  ),
  list: async (pageToken, pageSize) => {
    const page = await client.listDefinitions({ pageToken, pageSize });
    return { items: page.definitions, nextPageToken: page.nextPageToken, totalCount: page.totalCount };
  },
  create: async (name, description) => (await client.createDefinition({ name, description })).definition!.id,
  get: async (id) => {
    const response = await client.getDefinition({ id });
    return {
      item: response.definition!,
      members: response.members.map((member) => ({ id: member.actionSetId, sortOrder: member.sortOrder })),
    };
  },
  rename: (id, name) => client.renameDefinition({ id, name }),
  describe: (id, description) => client.updateDefinitionDescription({ id, description }),
  remove: (id) => client.deleteDefinition({ id }),
  candidates: async () => {
    const sets = await listAll(async (pageToken) => {
      const page = await client.listActionSets({ pageSize: maxPageSize, pageToken });
      return { items: page.sets, nextPageToken: page.nextPageToken };
    });
    return new Map(
      sets.map((set) => [
        set.id,
        { name: set.name, detail: `${set.memberCount} action${set.memberCount === 1 ? "" : "s"}`, href: `/action-sets/${set.id}` },
      ]),
    );
  },
  add: (definitionId, actionSetId, sortOrder) => client.addActionSetToDefinition({ definitionId, actionSetId, sortOrder }),
  removeMember: (definitionId, actionSetId) => client.removeActionSetFromDefinition({ definitionId, actionSetId }),
  reorder: (definitionId, actionSetId, newOrder) =>
    client.reorderActionSetInDefinition({ definitionId, actionSetId, newOrder }),
};

/** /definitions. */
export function DefinitionsPage() {
  return <CollectionListPage kind={definitionKind} />;
}

/** /definitions/:id. */
export function DefinitionPage(props: { params: Record<string, string> }) {
  return <CollectionPage kind={definitionKind} id={props.params.id} />;
}
