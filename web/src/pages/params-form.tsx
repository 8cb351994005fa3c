// A form for any params message, generated from its descriptor: strings, numbers, switches,
// enums, string lists, string maps and nested messages (the repository's per-manager blocks).
// The contract's rules are checked by the API; its message is shown when it refuses.
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { useState } from "preact/hooks";
import { Field } from "../ui/components";
import { fieldLooks, type FieldLook } from "./action-types";

/** A params message as plain values by field local name (nested messages are values too). */
export type ParamValues = Record<string, unknown>;

// Words the generated local names spell in a way people do not.
const words: Record<string, string> = {
  url: "URL", baseurl: "base URL", gpg: "GPG", gpgcheck: "GPG check", gpgkey: "GPG key URL",
  sha256: "SHA-256", id: "id", apt: "APT", dnf: "DNF", arch: "architecture",
};

/** "gpgKeyUrl" as "GPG key URL": the default label of a field. */
export function labelOf(localName: string): string {
  const parts = localName.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(" ");
  const text = parts.map((part) => words[part] ?? part).join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function lookOf(schema: DescMessage, field: DescField): FieldLook {
  return fieldLooks[schema.typeName]?.[field.localName] ?? {};
}

/** The fields of `schema` as form controls, editing `value` through `onChange`. */
export function ParamsForm(props: {
  schema: DescMessage;
  value: ParamValues;
  onChange: (value: ParamValues) => void;
  idPrefix: string;
  disabled?: boolean;
  /** What the API said is wrong, by control id (see field-errors.ts). */
  errors?: Record<string, string>;
}) {
  const { schema, value, onChange, idPrefix, disabled, errors } = props;
  return (
    <>
      {schema.fields.map((field) => (
        <FieldControl
          key={field.localName}
          schema={schema}
          field={field}
          id={`${idPrefix}-${field.localName}`}
          value={value[field.localName]}
          disabled={disabled}
          errors={errors}
          onChange={(next) => onChange({ ...value, [field.localName]: next })}
        />
      ))}
    </>
  );
}

function FieldControl(props: {
  schema: DescMessage;
  field: DescField;
  id: string;
  value: unknown;
  disabled?: boolean;
  errors?: Record<string, string>;
  onChange: (value: unknown) => void;
}) {
  const { schema, field, id, value, disabled, errors, onChange } = props;
  const error = errors?.[id];
  const invalid = error ? true : undefined;
  const look = lookOf(schema, field);
  const label = (look.label ?? labelOf(field.localName)) + (look.required ? " (required)" : "");
  const described = [look.hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  // What every labelled control of the form carries, whatever its kind.
  const control = { id, "aria-describedby": described, "aria-invalid": invalid, disabled };

  switch (field.fieldKind) {
    case "scalar":
      if (field.scalar === ScalarType.BOOL) {
        return (
          <div class="field field-check">
            <label>
              <input
                id={id}
                type="checkbox"
                checked={Boolean(value)}
                disabled={disabled}
                onChange={(event) => onChange(event.currentTarget.checked)}
              />
              {look.label ?? labelOf(field.localName)}
            </label>
            {look.hint && <small class="hint">{look.hint}</small>}
          </div>
        );
      }
      if (field.scalar === ScalarType.STRING) {
        return (
          <Field label={label} id={id} hint={look.hint} error={error}>
            {look.multiline ? (
              <textarea
                {...control}
                value={String(value ?? "")}
                placeholder={look.placeholder}
                spellcheck={false}
                onInput={(event) => onChange(event.currentTarget.value)}
              />
            ) : (
              <input
                {...control}
                value={String(value ?? "")}
                placeholder={look.placeholder}
                onInput={(event) => onChange(event.currentTarget.value)}
              />
            )}
          </Field>
        );
      }
      return (
        <Field label={label} id={id} hint={look.hint} error={error}>
          <input
            {...control}
            type="number"
            step={1}
            value={String(value ?? 0)}
            onInput={(event) => onChange(Number(event.currentTarget.value) || 0)}
          />
        </Field>
      );
    case "enum":
      return (
        <Field label={label} id={id} hint={look.hint} error={error}>
          <select
            {...control}
            value={String(value ?? 0)}
            onChange={(event) => onChange(Number(event.currentTarget.value))}
          >
            {field.enum.values.map((item) => (
              <option key={item.number} value={String(item.number)}>
                {item.number === 0 ? "(not set)" : labelOf(enumWord(item.name, field.enum.name))}
              </option>
            ))}
          </select>
        </Field>
      );
    case "list":
      return (
        <ListInput
          id={id}
          label={label}
          error={error}
          hint={look.hint ?? "Separated by spaces."}
          value={(value as string[] | undefined) ?? []}
          disabled={disabled}
          onChange={onChange}
        />
      );
    case "map":
      return (
        <MapInput
          id={id}
          label={label}
          error={error}
          hint={look.hint ?? "One key=value per line."}
          value={(value as Record<string, string> | undefined) ?? {}}
          disabled={disabled}
          onChange={onChange}
        />
      );
    case "message": {
      const present = value !== undefined && value !== null;
      return (
        <fieldset class="subform">
          <legend>{look.label ?? labelOf(field.localName)}</legend>
          <label class="check">
            <input
              type="checkbox"
              checked={present}
              disabled={disabled}
              onChange={(event) => onChange(event.currentTarget.checked ? {} : undefined)}
            />
            Configure {look.label ?? labelOf(field.localName)}
          </label>
          {present && (
            <ParamsForm
              schema={field.message}
              value={value as ParamValues}
              idPrefix={id}
              disabled={disabled}
              errors={errors}
              onChange={onChange}
            />
          )}
        </fieldset>
      );
    }
  }
}

// "SYSTEMD_UNIT_STATE_STARTED" of enum "SystemdUnitState" as "started".
function enumWord(valueName: string, enumName: string): string {
  const prefix = enumName.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase() + "_";
  const word = valueName.startsWith(prefix) ? valueName.slice(prefix.length) : valueName;
  return word.toLowerCase().replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function ListInput(props: {
  id: string;
  label: string;
  error?: string;
  hint: string;
  value: string[];
  disabled?: boolean;
  onChange: (value: string[]) => void;
}) {
  const [draft, setDraft] = useState(props.value.join(" "));
  return (
    <Field label={props.label} id={props.id} hint={props.hint} error={props.error}>
      <input
        id={props.id}
        value={draft}
        aria-describedby={`${props.id}-hint`}
        disabled={props.disabled}
        onInput={(event) => {
          setDraft(event.currentTarget.value);
          props.onChange(event.currentTarget.value.split(/[\s,]+/).filter(Boolean));
        }}
      />
    </Field>
  );
}

function MapInput(props: {
  id: string;
  label: string;
  error?: string;
  hint: string;
  value: Record<string, string>;
  disabled?: boolean;
  onChange: (value: Record<string, string>) => void;
}) {
  const [draft, setDraft] = useState(
    Object.entries(props.value)
      .map(([key, item]) => `${key}=${item}`)
      .join("\n"),
  );
  const bad = draft
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && line.indexOf("=") <= 0);
  return (
    <Field
      label={props.label}
      id={props.id}
      hint={props.hint}
      error={bad.length ? `Not key=value: ${bad.join(", ")}` : props.error}
    >
      <textarea
        id={props.id}
        class="short"
        value={draft}
        aria-describedby={`${props.id}-hint`}
        aria-invalid={bad.length > 0}
        disabled={props.disabled}
        spellcheck={false}
        onInput={(event) => {
          const text = event.currentTarget.value;
          setDraft(text);
          const entries: Record<string, string> = {};
          for (const line of text.split("\n")) {
            const equals = line.indexOf("=");
            if (equals > 0) entries[line.slice(0, equals).trim()] = line.slice(equals + 1);
          }
          props.onChange(entries);
        }}
      />
    </Field>
  );
}
