// The people who may sign in: create with a role, change the role, disable, reset the
// password, delete. The API guards the last administrator and the caller's own account; its
// refusal is shown as it says it.
import { useState } from "preact/hooks";
import { client } from "../api";
import type { User } from "../gen/pm/v1/control_pb";
import { useSession } from "../session";
import { useAsync, useCommand } from "../ui/async";
import { Badge, ConfirmButton, EmptyState, ErrorBanner, Field, Notice, PageHeader, Spinner, Time } from "../ui/components";
import { InputField } from "../ui/input-field";
import { TableHead } from "../ui/table-head";
import { ListPager } from "../ui/list-pager";
import { usePaging } from "../ui/paging";

const pageSize = 50;

/** The users page (administrators). */
export function UsersPage() {
  const paging = usePaging();
  const users = useAsync(() => client.listUsers({ pageSize, pageToken: paging.token }), [paging.token]);
  const [notice, setNotice] = useState("");

  return (
    <>
      <PageHeader title="Users" />
      <CreateUserForm
        onCreated={(user) => {
          setNotice(`Created ${user.email} (${user.role}).`);
          users.reload();
        }}
      />
      {notice && <Notice>{notice}</Notice>}
      <h2>People</h2>
      <ErrorBanner error={users.error} onRetry={users.reload} />
      {users.loading && !users.data ? (
        <Spinner label="Loading users…" />
      ) : !users.data || users.data.users.length === 0 ? (
        <EmptyState title="No users.">Create one above.</EmptyState>
      ) : (
        <table aria-label="Users">
          <TableHead columns={["Email", "Role", "State", "Last sign-in", "Created"]} hidden="Changes" />
          <tbody>
            {users.data.users.map((user) => (
              <UserRow key={user.id} user={user} onChanged={users.reload} onNotice={setNotice} />
            ))}
          </tbody>
        </table>
      )}
      {users.data && users.data.users.length > 0 && (
        <ListPager paging={paging} page={users.data} shown={users.data.users.length} />
      )}
    </>
  );
}

function CreateUserForm(props: { onCreated: (user: User) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState("user");
  const create = useCommand(async () => {
    const response = await client.createUser({ email: email.trim(), password, role });
    if (!response.user) throw new Error("The server created the user but did not return it.");
    setEmail("");
    setPassword("");
    props.onCreated(response.user);
  });
  return (
    <form
      class="form card"
      aria-labelledby="create-user-title"
      onSubmit={(event) => {
        event.preventDefault();
        void create.run();
      }}
    >
      <h2 id="create-user-title">Create a user</h2>
      <ErrorBanner error={create.error} />
      <div class="form-row">
        <InputField
          label="Email"
          id="user-email"
          type="email"
          required
          autoComplete="off"
          value={email}
          onValue={setEmail}
        />
        <InputField
          label="Initial password"
          id="user-password"
          hint="At least 8 characters; tell it to the person."
          type="password"
          required
          autoComplete="new-password"
          value={password}
          onValue={setPassword}
        />
        <Field label="Role" id="user-role">
          <select id="user-role" value={role} onChange={(event) => setRole(event.currentTarget.value)}>
            <option value="user">user: sees the devices assigned to them</option>
            <option value="admin">admin: manages everything</option>
          </select>
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={create.busy}>
          {create.busy ? <Spinner label="Creating…" /> : "Create user"}
        </button>
      </div>
    </form>
  );
}

function UserRow(props: { user: User; onChanged: () => void; onNotice: (text: string) => void }) {
  const { user } = props;
  const session = useSession();
  const me = session.user.id === user.id;
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState("");
  const command = useCommand(async (change: () => Promise<unknown>, done?: string) => {
    await change();
    if (done) props.onNotice(done);
    props.onChanged();
  });
  return (
    <tr>
      <td>
        {user.email} {me && <span class="muted">(you)</span>}
        <ErrorBanner error={command.error} />
        {resetting && (
          <form
            class="inline-form"
            onSubmit={async (event) => {
              event.preventDefault();
              const ok = await command.run(
                () => client.updateUserPassword({ id: user.id, newPassword: password }),
                `The password of ${user.email} was reset.`,
              );
              if (ok) {
                setPassword("");
                setResetting(false);
              }
            }}
          >
            <label for={`reset-${user.id}`}>New password for {user.email}</label>
            <input
              id={`reset-${user.id}`}
              type="password"
              required
              autoComplete="new-password"
              value={password}
              onInput={(event) => setPassword(event.currentTarget.value)}
            />
            <button type="submit" disabled={command.busy}>
              Set password
            </button>
            <button type="button" onClick={() => setResetting(false)}>
              Cancel
            </button>
          </form>
        )}
      </td>
      <td>
        {/* A button, not a select: arrowing through a select would change the role on each key. */}
        <span class="role-cell">
          <Badge tone={user.role === "admin" ? "info" : "idle"}>{user.role}</Badge>
          <button
            type="button"
            class="link-button"
            aria-label={`Make ${user.email} ${user.role === "admin" ? "a user" : "an admin"}`}
            disabled={command.busy}
            onClick={() => {
              const role = user.role === "admin" ? "user" : "admin";
              void command.run(() => client.updateUserRole({ id: user.id, role }), `${user.email} is now ${role === "admin" ? "an admin" : "a user"}.`);
            }}
          >
            {user.role === "admin" ? "make user" : "make admin"}
          </button>
        </span>
      </td>
      <td>{user.disabled ? <Badge tone="idle">disabled</Badge> : <Badge tone="ok">active</Badge>}</td>
      <td>
        <Time value={user.lastLoginAt} />
      </td>
      <td>
        <Time value={user.createdAt} />
      </td>
      <td class="row-actions">
        {command.busy && <Spinner label="Saving…" />}
        <button
          type="button"
          aria-label={`${user.disabled ? "Enable" : "Disable"} ${user.email}`}
          disabled={command.busy}
          onClick={() =>
            void command.run(
              () => client.setUserDisabled({ id: user.id, disabled: !user.disabled }),
              `${user.email} is ${user.disabled ? "enabled" : "disabled"}.`,
            )
          }
        >
          {user.disabled ? "Enable" : "Disable"}
        </button>
        {!resetting && (
          <button type="button" aria-label={`Reset the password of ${user.email}`} onClick={() => setResetting(true)}>
            Reset password
          </button>
        )}
        <ConfirmButton
          label="Delete"
          question={
            me
              ? "Delete your own account? You will be signed out at once and cannot sign in again."
              : `Delete ${user.email}? They will no longer be able to sign in.`
          }
          disabled={command.busy}
          onConfirm={async () => {
            // The API refuses to delete the last administrator; other admins may delete themselves.
            const ok = await command.run(() => client.deleteUser({ id: user.id }), `${user.email} was deleted.`);
            if (ok && me) await session.signOut();
          }}
        />
      </td>
    </tr>
  );
}
