// Who is signed in. The app loads the current user once; pages read it from this context to
// show what the role may do (the API enforces it regardless).
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { User } from "./gen/pm/v1/control_pb";

/** The signed-in user and how to end the session. */
export interface Session {
  /** The signed-in user. */
  user: User;
  /** Whether the user is an administrator. */
  isAdmin: boolean;
  /** Signs out (clears the cookies) and shows the sign-in page. */
  signOut: () => Promise<void>;
}

/** Provided by the app once a user is signed in. */
export const SessionContext = createContext<Session | null>(null);

/** The session; only pages behind sign-in call it. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}
