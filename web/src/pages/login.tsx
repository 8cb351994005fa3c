// Sign in with email and password. The server sets the session cookies; the page only learns
// who signed in.
import { useState } from "preact/hooks";
import { client } from "../api";
import type { User } from "../gen/pm/v1/control_pb";
import { useCommand } from "../ui/async";
import { ErrorBanner, Spinner } from "../ui/components";
import { InputField } from "../ui/input-field";

export function LoginPage(props: { onSignedIn: (user: User) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const login = useCommand(async () => {
    const response = await client.login({ email: email.trim(), password });
    if (!response.user) throw new Error("The server signed you in but did not say who you are.");
    props.onSignedIn(response.user);
  });
  const submit = (event: Event) => {
    event.preventDefault();
    void login.run();
  };
  return (
    <main class="centered">
      <form class="card login" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Power Manage</h1>
        <ErrorBanner error={login.error} />
        <InputField
          label="Email"
          id="login-email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onValue={setEmail}
        />
        <InputField
          label="Password"
          id="login-password"
          hint="The first administrator's password is the one given to pm-control at its first start."
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onValue={setPassword}
        />
        <button type="submit" class="primary" disabled={login.busy}>
          {login.busy ? <Spinner label="Signing in…" /> : "Sign in"}
        </button>
      </form>
    </main>
  );
}
