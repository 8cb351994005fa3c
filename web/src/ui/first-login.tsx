// The suggestion to change the bootstrap administrator's password. The API has no "first
// login" flag (Login already returns this login's time as last_login_at), so the signal is an
// installation where the signed-in administrator is still the only user: the account created
// with the password given on pm-control's command line. Dismissing it, or changing the
// password here, is remembered in this browser.
import { useState } from "preact/hooks";
import { client } from "../api";
import { Link } from "../router";
import { useSession } from "../session";
import { useAsync } from "./async";

const key = (userId: string) => `pm.first-login-done.${userId}`;

function remembered(userId: string): boolean {
  try {
    return window.localStorage.getItem(key(userId)) === "1";
  } catch {
    return false;
  }
}

/** Stops suggesting a password change to `userId` in this browser. */
export function markPasswordChanged(userId: string): void {
  try {
    window.localStorage.setItem(key(userId), "1");
  } catch {
    // Storage refused (private mode): the suggestion simply shows again next time.
  }
}

/** A banner suggesting the bootstrap administrator changes the setup password. */
export function FirstLoginNotice() {
  const { user, isAdmin } = useSession();
  const [hidden, setHidden] = useState(() => remembered(user.id));
  const users = useAsync(
    async () => (isAdmin && !hidden ? (await client.listUsers({ pageSize: 1 })).totalCount : 0),
    [isAdmin, hidden],
  );
  if (!isAdmin || hidden || users.data !== 1) return null;
  return (
    <aside class="banner banner-info first-login" aria-label="Change the setup password">
      <span>
        Welcome. You are the only user of this new installation, signed in with the password given to
        pm-control at setup. <Link href="/account">Change your password</Link> before anyone else learns it.
      </span>
      <button
        type="button"
        class="link-button"
        onClick={() => {
          markPasswordChanged(user.id);
          setHidden(true);
        }}
      >
        Dismiss
      </button>
    </aside>
  );
}
