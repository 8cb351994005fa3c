// A labelled input bound to a string state: the Field around it, and the input pointed at the
// field's hint or error so screen readers read them with it.
import type { JSX } from "preact";
import { Field } from "./components";

type InputAttributes = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "id" | "label" | "value" | "onInput" | "aria-describedby">;

/** An `<input>` in a `Field`; `onValue` gets each edit; other props go to the input. */
export function InputField(
  props: InputAttributes & { label: string; id: string; hint?: string; error?: string; value: string; onValue: (value: string) => void },
) {
  const { label, id, hint, error, value, onValue, ...input } = props;
  return (
    <Field label={label} id={id} hint={hint} error={error}>
      <input
        id={id}
        {...input}
        value={value}
        aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}
        onInput={(event) => onValue(event.currentTarget.value)}
      />
    </Field>
  );
}
