// The dynamic query editor: as the administrator types, the server checks the query (after a
// pause, so not on every keystroke) and says what is wrong, or how many devices it matches.
import { useEffect, useRef, useState } from "preact/hooks";
import { client, errorText } from "../api";
import { Spinner } from "../ui/components";

const debounceMs = 300;

/** What the server said about the query text in the editor. */
export type QueryCheck =
  | { state: "checking" }
  | { state: "valid"; count: number; warning?: string }
  | { state: "invalid"; error: string }
  | { state: "failed"; error: string };

/** A labelled query textarea with the server's verdict below it, live. */
export function QueryEditor(props: {
  id: string;
  value: string;
  onInput: (value: string) => void;
  onCheck?: (check: QueryCheck) => void;
  disabled?: boolean;
}) {
  const [check, setCheck] = useState<QueryCheck>({ state: "checking" });
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    const report = (next: QueryCheck) => {
      if (mine !== generation.current) return;
      setCheck(next);
      props.onCheck?.(next);
    };
    report({ state: "checking" });
    const timer = setTimeout(() => {
      // A blank query means every device, but ValidateDynamicQuery refuses a blank query
      // ("query is required"): count the devices instead.
      if (!props.value.trim()) {
        client
          .listDevices({ pageSize: 1 })
          .then((response) => report({ state: "valid", count: response.totalCount }))
          .catch((failure) => report({ state: "failed", error: errorText(failure) }));
        return;
      }
      client
        .validateDynamicQuery({ query: props.value })
        .then((response) => {
          if (!response.valid) report({ state: "invalid", error: response.error || "The query is not valid." });
          else {
            // The server puts differences from the reference server in `error`, prefixed "warning:".
            const warning = response.error.replace(/^warning:\s*/, "") || undefined;
            report({ state: "valid", count: response.matchingDeviceCount, warning });
          }
        })
        .catch((failure) => report({ state: "failed", error: errorText(failure) }));
    }, debounceMs);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.value]);

  const describedBy = `${props.id}-hint ${props.id}-check`;
  return (
    <div class={`field${check.state === "invalid" ? " field-invalid" : ""}`}>
      <label for={props.id}>Membership query</label>
      <textarea
        id={props.id}
        class="query-input"
        value={props.value}
        spellcheck={false}
        disabled={props.disabled}
        aria-invalid={check.state === "invalid"}
        aria-describedby={describedBy}
        placeholder='labels.env equals prod and labels.zone in "eu-west-1, eu-west-2"'
        onInput={(event) => props.onInput(event.currentTarget.value)}
      />
      <small class="hint" id={`${props.id}-hint`}>
        Conditions on device labels: <code>labels.KEY equals VALUE</code>, also <code>notEquals</code>,{" "}
        <code>contains</code>, <code>startsWith</code>, <code>endsWith</code>, <code>in "a, b"</code>,{" "}
        <code>greaterThan</code>, <code>exists</code>, joined with <code>and</code>, <code>or</code>,{" "}
        <code>not</code> and parentheses. An empty query matches every device.
      </small>
      <div id={`${props.id}-check`} class="query-check" aria-live="polite" data-state={check.state}>
        {check.state === "checking" && <Spinner label="Checking the query…" />}
        {check.state === "valid" && (
          <>
            <span class="query-ok">
              Valid: matches <strong>{check.count}</strong> {check.count === 1 ? "device" : "devices"} now.
            </span>
            {check.warning && <span class="query-warning">Note: {check.warning}</span>}
          </>
        )}
        {check.state === "invalid" && <span class="field-error">{check.error}</span>}
        {check.state === "failed" && <span class="field-error">The query could not be checked: {check.error}</span>}
      </div>
    </div>
  );
}
