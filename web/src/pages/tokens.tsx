// Registration tokens: what a new device presents to enrol. Created here, the secret shown
// once with the enrolment command; then renamed, disabled or deleted.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { client } from "../api";
import type { RegistrationToken } from "../gen/pm/v1/control_pb";
import { useAsync, useCommand } from "../ui/async";
import { Badge, ConfirmButton, EmptyState, ErrorBanner, PageHeader, Spinner, Time } from "../ui/components";
import { InputField } from "../ui/input-field";
import { TableHead } from "../ui/table-head";
import { ListPager } from "../ui/list-pager";
import { usePaging } from "../ui/paging";
import { emailOf, useAllUsers } from "../ui/user-names";
import { NewTokenPanel } from "./enrolment";

const pageSize = 50;

/** The registration tokens page (administrators). */
export function TokensPage() {
  const paging = usePaging();
  const tokens = useAsync(
    () => client.listTokens({ pageSize, pageToken: paging.token, includeDisabled: true }),
    [paging.token],
  );
  const users = useAllUsers();
  const [created, setCreated] = useState<RegistrationToken>();

  return (
    <>
      <PageHeader title="Registration tokens" />
      <p class="lead">
        A device enrols by presenting a registration token to this server once; afterwards it
        authenticates with its own certificate. Devices enrolled with a token are assigned to the
        token's owner.
      </p>
      {created ? (
        <NewTokenPanel token={created} onDone={() => setCreated(undefined)} />
      ) : (
        <CreateTokenForm
          onCreated={(token) => {
            setCreated(token);
            tokens.reload();
          }}
        />
      )}
      <h2>Tokens</h2>
      <ErrorBanner error={tokens.error} onRetry={tokens.reload} />
      {tokens.loading && !tokens.data ? (
        <Spinner label="Loading registration tokens…" />
      ) : !tokens.data || tokens.data.tokens.length === 0 ? (
        <EmptyState title="No registration tokens yet.">
          Create one above, then run the enrolment command it shows on the device.
        </EmptyState>
      ) : (
        <table aria-label="Registration tokens">
          <TableHead columns={["Name", "State", "Uses", "Expires", "Owner", "Created"]} hidden="Changes" />
          <tbody>
            {tokens.data.tokens.map((token) => (
              <TokenRow key={token.id} token={token} owner={emailOf(users.data, token.ownerId)} onChanged={tokens.reload} />
            ))}
          </tbody>
        </table>
      )}
      {tokens.data && tokens.data.tokens.length > 0 && (
        <ListPager paging={paging} page={tokens.data} shown={tokens.data.tokens.length} />
      )}
    </>
  );
}

function CreateTokenForm(props: { onCreated: (token: RegistrationToken) => void }) {
  const [name, setName] = useState("");
  const [maxUses, setMaxUses] = useState("0");
  const [expires, setExpires] = useState("");
  const create = useCommand(async () => {
    const uses = Number(maxUses || "0");
    const response = await client.createToken({
      name: name.trim(),
      maxUses: uses,
      oneTime: uses === 1,
      expiresAt: expires ? timestampFromDate(new Date(expires)) : undefined,
    });
    if (!response.token) throw new Error("The server created the token but did not return it.");
    setName("");
    setMaxUses("0");
    setExpires("");
    props.onCreated(response.token);
  });
  return (
    <form
      class="form card"
      aria-labelledby="create-token-title"
      onSubmit={(event) => {
        event.preventDefault();
        void create.run();
      }}
    >
      <h2 id="create-token-title">Create a registration token</h2>
      <ErrorBanner error={create.error} />
      <InputField
        label="Name"
        id="token-name"
        hint="What the token is for, e.g. “berlin office laptops”."
        required
        value={name}
        onValue={setName}
      />
      <div class="form-row">
        <InputField
          label="Maximum uses"
          id="token-max-uses"
          hint="0 = unlimited; 1 = a one-time token."
          type="number"
          min="0"
          step="1"
          value={maxUses}
          onValue={setMaxUses}
        />
        <InputField
          label="Expires"
          id="token-expires"
          hint="Empty = never (local time)."
          type="datetime-local"
          value={expires}
          onValue={setExpires}
        />
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={create.busy}>
          {create.busy ? <Spinner label="Creating…" /> : "Create token"}
        </button>
      </div>
    </form>
  );
}

function TokenRow(props: { token: RegistrationToken; owner: string; onChanged: () => void }) {
  const { token } = props;
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(token.name);
  const command = useCommand(async (change: () => Promise<unknown>) => {
    await change();
    props.onChanged();
  });
  const expired =
    token.expiresAt !== undefined && Number(token.expiresAt.seconds) * 1000 < Date.now();
  const usedUp = token.maxUses > 0 && token.currentUses >= token.maxUses;
  return (
    <tr>
      <td>
        {renaming ? (
          <form
            class="inline-form"
            onSubmit={async (event) => {
              event.preventDefault();
              if (await command.run(() => client.renameToken({ id: token.id, name: name.trim() }))) setRenaming(false);
            }}
          >
            <label class="visually-hidden" for={`rename-${token.id}`}>
              New name for {token.name}
            </label>
            <input id={`rename-${token.id}`} required value={name} onInput={(event) => setName(event.currentTarget.value)} />
            <button type="submit" disabled={command.busy}>
              Save
            </button>
            <button type="button" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </form>
        ) : (
          token.name
        )}
        <ErrorBanner error={command.error} />
      </td>
      <td>
        {token.disabled ? (
          <Badge tone="idle">disabled</Badge>
        ) : expired ? (
          <Badge tone="warn">expired</Badge>
        ) : usedUp ? (
          <Badge tone="warn">used up</Badge>
        ) : (
          <Badge tone="ok">active</Badge>
        )}
      </td>
      <td>
        {token.currentUses} of {token.maxUses > 0 ? token.maxUses : "unlimited"}
      </td>
      <td>
        <Time value={token.expiresAt} empty="never" />
      </td>
      <td>{props.owner}</td>
      <td>
        <Time value={token.createdAt} />
      </td>
      <td class="row-actions">
        {command.busy && <Spinner label="Saving…" />}
        {!renaming && (
          <button
            type="button"
            aria-label={`Rename ${token.name}`}
            onClick={() => {
              setName(token.name);
              setRenaming(true);
            }}
          >
            Rename
          </button>
        )}
        <button
          type="button"
          aria-label={`${token.disabled ? "Enable" : "Disable"} ${token.name}`}
          disabled={command.busy}
          onClick={() => void command.run(() => client.setTokenDisabled({ id: token.id, disabled: !token.disabled }))}
        >
          {token.disabled ? "Enable" : "Disable"}
        </button>
        <ConfirmButton
          label="Delete"
          question={`Delete the registration token "${token.name}"? Devices already enrolled with it stay enrolled.`}
          disabled={command.busy}
          onConfirm={() => void command.run(() => client.deleteToken({ id: token.id }))}
        />
      </td>
    </tr>
  );
}
