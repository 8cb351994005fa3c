// The signed-in person's own account: who they are, and changing their password (the API
// asks for the current one, so a borrowed open session cannot lock the owner out).
import { useState } from "preact/hooks";
import { client } from "../api";
import { useSession } from "../session";
import { useCommand } from "../ui/async";
import { ErrorBanner, Notice, PageHeader, Spinner, Time } from "../ui/components";
import { InputField } from "../ui/input-field";
import { markPasswordChanged } from "../ui/first-login";

/** The account page, for every role. */
export function AccountPage() {
  const { user } = useSession();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [done, setDone] = useState(false);
  const mismatch = again !== "" && again !== next;
  const change = useCommand(async () => {
    if (next !== again) throw new Error("The new password and its repetition differ.");
    await client.updateUserPassword({ id: user.id, currentPassword: current, newPassword: next });
    markPasswordChanged(user.id);
    setCurrent("");
    setNext("");
    setAgain("");
    setDone(true);
  });

  return (
    <>
      <PageHeader title="Your account" />
      <dl class="facts">
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Role</dt>
        <dd>{user.role}</dd>
        <dt>Member since</dt>
        <dd>
          <Time value={user.createdAt} />
        </dd>
      </dl>
      <form
        class="form card"
        aria-labelledby="password-title"
        onSubmit={(event) => {
          event.preventDefault();
          setDone(false);
          void change.run();
        }}
      >
        <h2 id="password-title">Change your password</h2>
        <ErrorBanner error={change.error} />
        {done && <Notice>Your password was changed. Use the new one next time you sign in.</Notice>}
        <InputField
          label="Current password"
          id="account-current"
          type="password"
          required
          autoComplete="current-password"
          value={current}
          onValue={setCurrent}
        />
        <InputField
          label="New password"
          id="account-new"
          hint="At least 8 characters."
          type="password"
          required
          autoComplete="new-password"
          value={next}
          onValue={setNext}
        />
        <InputField
          label="New password again"
          id="account-again"
          error={mismatch ? "This differs from the new password." : undefined}
          type="password"
          required
          autoComplete="new-password"
          aria-invalid={mismatch}
          value={again}
          onValue={setAgain}
        />
        <div class="form-actions">
          <button type="submit" class="primary" disabled={change.busy || mismatch}>
            {change.busy ? <Spinner label="Changing…" /> : "Change password"}
          </button>
        </div>
      </form>
    </>
  );
}
