// What an operator sees once, right after creating a registration token: the secret and the
// command that enrols a machine with it. The API never returns the secret again.
import type { RegistrationToken } from "../gen/pm/v1/control_pb";
import { CopyText } from "../ui/copy";

/** The shell command that enrols this machine with `secret`, against the console's own origin. */
export function enrolmentCommand(secret: string, controlUrl = window.location.origin): string {
  // Single quotes: a secret is base64 and may hold '+', '/' and '=', which a shell must not touch.
  const quoted = `'${secret.replace(/'/g, `'\\''`)}'`;
  return [
    "sudo -u pm-agent pm-agent --state-dir /var/lib/pm-agent \\",
    `    --control-url ${controlUrl} --token ${quoted}`,
  ].join("\n");
}

/** The just-created token's secret and enrolment command, until the operator closes it. */
export function NewTokenPanel(props: { token: RegistrationToken; onDone: () => void }) {
  const { token } = props;
  return (
    <section class="card secret-panel" aria-labelledby="new-token-title">
      <h2 id="new-token-title">Registration token "{token.name}" created</h2>
      <p>
        <strong>Copy the secret now: it is shown only this once.</strong> The server keeps only a hash of it;
        if it is lost, create another token.
      </p>
      <CopyText id="new-token-secret" label="Secret" text={token.value} />
      <CopyText id="new-token-command" label="Enrolment command (run it on the device)" text={enrolmentCommand(token.value)} />
      <p class="hint">
        The agent keeps its identity in <code>--state-dir</code>; later starts need no token:{" "}
        <code>pm-agent --state-dir /var/lib/pm-agent</code>. Run it as a dedicated unprivileged user (
        <code>useradd --system pm-agent</code>).
      </p>
      <div class="form-actions">
        <button type="button" class="primary" onClick={props.onDone}>
          I have copied it
        </button>
      </div>
    </section>
  );
}
