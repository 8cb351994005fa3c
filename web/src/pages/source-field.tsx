// The field that picks a stored item to run or assign: actions, action sets and definitions, each
// kind in its own group, valued "type:id".
import type { JSX } from "preact";
import { Field } from "../ui/components";
import { sourceWords, type Source } from "./fleet-lookups";

const kinds: Source["type"][] = ["action", "action_set", "definition"];

/** A labelled select of `sources` by kind; its value is the chosen "type:id" ("" for none). */
export function SourceField(props: {
  label: string;
  id: string;
  value: string;
  sources?: Source[];
  loading: boolean;
  onChange: (event: JSX.TargetedEvent<HTMLSelectElement>) => void;
}) {
  return (
    <Field label={props.label} id={props.id}>
      <select id={props.id} value={props.value} onChange={props.onChange}>
        <option value="">{props.loading ? "loading…" : "choose"}</option>
        {kinds.map((kind) => (
          <optgroup key={kind} label={`${sourceWords[kind]}s`}>
            {(props.sources ?? [])
              .filter((item) => item.type === kind)
              .map((item) => (
                <option key={item.id} value={`${item.type}:${item.id}`}>
                  {item.name}
                </option>
              ))}
          </optgroup>
        ))}
      </select>
    </Field>
  );
}
