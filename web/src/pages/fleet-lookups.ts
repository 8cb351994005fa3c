// Name lookups for the group, assignment, dispatch and execution pages: ids on the wire are
// ULIDs, which nobody recognises, so these pages show host names and item names instead.
import { client, listAll, maxPageSize } from "../api";
import type { Device, DeviceGroup } from "../gen/pm/v1/control_pb";
import { useAsync, type Async } from "../ui/async";

/** Something an assignment or a dispatch can run: an action, an action set or a definition. */
export interface Source {
  /** The contract's word for its kind. */
  type: "action" | "action_set" | "definition";
  /** Its id. */
  id: string;
  /** Its display name. */
  name: string;
}

/**
 * Every device the caller may see (for pickers), at most 10,000; nothing while `enabled` is
 * false, because a large fleet takes a hundred calls to list.
 */
export function useAllDevices(enabled = true): Async<Device[]> {
  return useAsync(
    async () =>
      enabled
        ? // Sorted by host name: pickers are read by name.
          (
            await listAll(async (pageToken) => {
              const page = await client.listDevices({ pageSize: maxPageSize, pageToken });
              return { items: page.devices, nextPageToken: page.nextPageToken };
            })
          ).sort((a, b) => a.hostname.localeCompare(b.hostname))
        : [],
    [enabled],
  );
}

/** Every device group (for pickers and names). */
export function useAllGroups(): Async<DeviceGroup[]> {
  return useAsync(
    () =>
      listAll(async (pageToken) => {
        const page = await client.listDeviceGroups({ pageSize: maxPageSize, pageToken });
        return { items: page.groups, nextPageToken: page.nextPageToken };
      }),
    [],
  );
}

/** Every stored action, action set and definition, as sources to pick from. */
export function useAllSources(): Async<Source[]> {
  return useAsync(async () => {
    const [actions, sets, definitions] = await Promise.all([
      listAll(async (pageToken) => {
        const page = await client.listActions({ pageSize: maxPageSize, pageToken });
        return { items: page.actions, nextPageToken: page.nextPageToken };
      }),
      listAll(async (pageToken) => {
        const page = await client.listActionSets({ pageSize: maxPageSize, pageToken });
        return { items: page.sets, nextPageToken: page.nextPageToken };
      }),
      listAll(async (pageToken) => {
        const page = await client.listDefinitions({ pageSize: maxPageSize, pageToken });
        return { items: page.definitions, nextPageToken: page.nextPageToken };
      }),
    ]);
    return [
      ...actions.map((item): Source => ({ type: "action", id: item.id, name: item.name })),
      ...sets.map((item): Source => ({ type: "action_set", id: item.id, name: item.name })),
      ...definitions.map((item): Source => ({ type: "definition", id: item.id, name: item.name })),
    ];
  }, []);
}

/** The words for a source kind, as a person reads them. */
export const sourceWords: Record<Source["type"], string> = {
  action: "Action",
  action_set: "Action set",
  definition: "Definition",
};

/** Devices by id, for looking names up row by row. */
export function byId<T extends { id: string }>(items: T[] | undefined): Map<string, T> {
  return new Map((items ?? []).map((item) => [item.id, item]));
}

/** A device's host name, falling back to the id's tail while names load or are unknown. */
export function deviceName(devices: Map<string, Device>, id: string): string {
  return devices.get(id)?.hostname || `…${id.slice(-8)}`;
}
