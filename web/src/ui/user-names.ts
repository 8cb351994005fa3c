// Every user, for pickers and for showing an email where the API gives a user id.
import { client, listAll, maxPageSize } from "../api";
import type { User } from "../gen/pm/v1/control_pb";
import { useAsync, type Async } from "./async";

/** All users (administrators only: the API refuses ListUsers to the user role). */
export function useAllUsers(enabled = true): Async<User[]> {
  return useAsync(
    async () =>
      enabled
        ? await listAll(async (pageToken) => {
            const page = await client.listUsers({ pageSize: maxPageSize, pageToken });
            return { items: page.users, nextPageToken: page.nextPageToken };
          })
        : [],
    [enabled],
  );
}

/** The email of user `id` in `users`, or the id when it is unknown (e.g. a deleted user). */
export function emailOf(users: User[] | undefined, id: string): string {
  return users?.find((user) => user.id === id)?.email ?? id;
}
