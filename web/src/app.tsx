// The console's frame: the sign-in gate, the navigation for the user's role, and the page the
// location names.
import { useEffect, useState } from "preact/hooks";
import { Code, ConnectError } from "@connectrpc/connect";
import { client, errorText, setSessionEndedHandler } from "./api";
import type { User } from "./gen/pm/v1/control_pb";
import { LoginPage } from "./pages/login";
import { Link, match, navigate, useLocation } from "./router";
import { routes, type PageRoute } from "./routes";
import { SessionContext, type Session } from "./session";
import { ErrorBanner, PageHeader, Spinner } from "./ui/components";
import { FirstLoginNotice } from "./ui/first-login";

type Gate = { state: "loading" } | { state: "signed-out" } | { state: "error"; error: string } | { state: "in"; user: User };

export function App() {
  const [gate, setGate] = useState<Gate>({ state: "loading" });

  const loadUser = () => {
    setGate({ state: "loading" });
    client
      .getCurrentUser({})
      .then((response) => {
        if (response.user) setGate({ state: "in", user: response.user });
        else setGate({ state: "signed-out" });
      })
      .catch((error) => {
        if (error instanceof ConnectError && error.code === Code.Unauthenticated) {
          setGate({ state: "signed-out" });
        } else {
          setGate({ state: "error", error: errorText(error) });
        }
      });
  };

  useEffect(() => {
    setSessionEndedHandler(() => setGate({ state: "signed-out" }));
    loadUser();
  }, []);

  switch (gate.state) {
    case "loading":
      return (
        <main class="centered">
          <Spinner label="Opening the console…" />
        </main>
      );
    case "error":
      return (
        <main class="centered">
          <ErrorBanner error={gate.error} onRetry={loadUser} />
        </main>
      );
    case "signed-out":
      return <LoginPage onSignedIn={(user) => setGate({ state: "in", user })} />;
    case "in": {
      const session: Session = {
        user: gate.user,
        isAdmin: gate.user.role === "admin",
        signOut: async () => {
          await client.logout({}).catch(() => undefined);
          setGate({ state: "signed-out" });
          navigate("/", true);
        },
      };
      return (
        <SessionContext.Provider value={session}>
          <Shell session={session} />
        </SessionContext.Provider>
      );
    }
  }
}

function visible(route: PageRoute, session: Session): boolean {
  return !route.for || route.for === (session.isAdmin ? "admin" : "user");
}

function Shell(props: { session: Session }) {
  const { path } = useLocation();
  const { session } = props;
  const mine = routes.filter((route) => visible(route, session));
  let found: { route: PageRoute; params: Record<string, string> } | undefined;
  for (const route of mine) {
    const params = match(route.path, path);
    if (params) {
      found = { route, params };
      break;
    }
  }
  // The first page of a role is its home: "/" for a user who has no overview.
  // Navigating during render would not re-render this shell (its location listener is added
  // by an effect that has not run yet on the first render), so redirect from an effect.
  const home = !found && path === "/" && mine.length > 0 ? mine[0].path : undefined;
  useEffect(() => {
    if (home) navigate(home, true);
  }, [home]);
  const Page = found?.route.page;
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Power Manage</span>
        <span class="whoami">
          {session.user.email} <span class="muted">({session.user.role})</span>
        </span>
        <Link href="/account" class="account-link" aria-current={path === "/account" ? "page" : undefined}>
          Account
        </Link>
        <button type="button" class="link-button" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </header>
      <nav class="sidebar" aria-label="Main">
        <ul>
          {mine
            .filter((route) => route.nav)
            .map((route) => {
              const current = route.path === "/" ? path === "/" : path.startsWith(route.path);
              return (
                <li key={route.path}>
                  <Link href={route.path} aria-current={current ? "page" : undefined}>
                    {(!session.isAdmin && route.userNav) || route.nav}
                  </Link>
                </li>
              );
            })}
        </ul>
      </nav>
      <main id="main" class="content">
        <FirstLoginNotice />
        {Page ? (
          <Page params={found!.params} />
        ) : home ? (
          <Spinner />
        ) : (
          <>
            <PageHeader title="Page not found" />
            <p>
              There is no page at <code>{path}</code>. <Link href="/">Go to the start page</Link>.
            </p>
          </>
        )}
      </main>
    </div>
  );
}
