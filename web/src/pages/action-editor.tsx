// Creating and editing one action: name, description, type, timeout, schedule and the type's
// parameters (a form generated from the params message). An existing action keeps its type;
// saving sends only the RPCs for what changed in name and description, then the parameters.
import { create } from "@bufbuild/protobuf";
import { useEffect, useState } from "preact/hooks";
import { client } from "../api";
import { ActionScheduleSchema, ActionType } from "../gen/pm/v1/actions_pb";
import type { ManagedAction } from "../gen/pm/v1/control_pb";
import { Link, navigate } from "../router";
import { useAsync, useCommand } from "../ui/async";
import { ConfirmButton, EmptyState, ErrorBanner, Field, Notice, PageHeader, Spinner, Time } from "../ui/components";
import { actionTypes, typeInfo, typeLabel, type TypeInfo } from "./action-types";
import { fieldErrors } from "./field-errors";
import { ParamsForm, type ParamValues } from "./params-form";
import "./configuration.css";

/** What the form edits. */
interface Draft {
  name: string;
  description: string;
  type: ActionType;
  timeoutSeconds: number;
  schedule: ParamValues;
  params: ParamValues;
}

// Messages from the API carry $typeName; the form edits plain values, so nested blocks added
// later (`{}`) and loaded ones are built by `create` alike.
function plain(value: unknown): ParamValues {
  return JSON.parse(JSON.stringify(value ?? {}, (key, item) => (key === "$typeName" ? undefined : item)));
}

function draftOf(action: ManagedAction): Draft {
  return {
    name: action.name,
    description: action.description,
    type: action.type,
    timeoutSeconds: action.timeoutSeconds,
    schedule: plain(action.schedule),
    params: plain(action.params.value),
  };
}

// What UpdateActionParams changes, comparable as text (create() fills in the defaults, so an
// untouched form equals what was loaded).
function runningOf(draft: Draft): string {
  const info = typeInfo(draft.type);
  return JSON.stringify([
    draft.timeoutSeconds,
    create(ActionScheduleSchema, draft.schedule),
    info ? create(info.schema, draft.params) : draft.params,
  ]);
}

const blank: Draft = { name: "", description: "", type: ActionType.SHELL, timeoutSeconds: 0, schedule: {}, params: {} };

// The oneof member for the draft's type, as the request messages take it.
function paramsOf(info: TypeInfo, values: ParamValues) {
  return { case: info.paramsCase, value: create(info.schema, values) } as never;
}

/** /actions/new and /actions/:id. */
export function ActionEditorPage(props: { params: Record<string, string> }) {
  const id = props.params.id;
  const isNew = id === undefined;
  const loaded = useAsync(async () => (isNew ? undefined : (await client.getAction({ id })).action), [id]);

  if (isNew) return <ActionForm key="new" initial={blank} />;
  if (loaded.loading && !loaded.data) {
    return (
      <>
        <PageHeader title="Action" />
        <Spinner label="Loading the action…" />
      </>
    );
  }
  if (!loaded.data) {
    return (
      <>
        <PageHeader title="Action" />
        {loaded.error && /not found/i.test(loaded.error) ? (
          <EmptyState title="This action does not exist (any more).">
            <Link href="/actions">Back to the actions</Link>
          </EmptyState>
        ) : (
          <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
        )}
      </>
    );
  }
  return <ActionForm key={loaded.data.id} initial={draftOf(loaded.data)} existing={loaded.data} />;
}

function ActionForm(props: { initial: Draft; existing?: ManagedAction }) {
  const { existing } = props;
  const [draft, setDraft] = useState<Draft>(props.initial);
  const [saved, setSaved] = useState<ManagedAction | undefined>(existing);
  const [notice, setNotice] = useState("");
  const info = typeInfo(draft.type);
  useEffect(() => setNotice(""), [draft]);

  const save = useCommand(async () => {
    if (!info) throw new Error("Choose a type for the action.");
    const schedule = create(ActionScheduleSchema, draft.schedule);
    if (!saved) {
      const response = await client.createAction({
        name: draft.name.trim(),
        description: draft.description.trim(),
        type: draft.type,
        timeoutSeconds: draft.timeoutSeconds,
        schedule,
        params: paramsOf(info, draft.params),
      });
      navigate(`/actions/${response.action!.id}`, true);
      return;
    }
    let current = saved;
    if (draft.name.trim() !== current.name) {
      current = (await client.renameAction({ id: current.id, name: draft.name.trim() })).action ?? current;
    }
    if (draft.description.trim() !== current.description) {
      current =
        (await client.updateActionDescription({ id: current.id, description: draft.description.trim() })).action ??
        current;
    }
    // Each params update re-signs the action for the agents: only send one for a real change.
    const before = draftOf(current);
    if (runningOf(draft) !== runningOf(before)) {
      current =
        (
          await client.updateActionParams({
            id: current.id,
            timeoutSeconds: draft.timeoutSeconds,
            schedule,
            params: paramsOf(info, draft.params),
          })
        ).action ?? current;
    }
    setSaved(current);
    setNotice("Saved.");
  });

  const remove = useCommand(async () => {
    await client.deleteAction({ id: saved!.id });
    navigate("/actions");
  });

  const errors = fieldErrors(save.error, info?.paramsCase ?? "");
  // After a refusal, take the keyboard to the first field the API named.
  useEffect(() => {
    const first = [...document.querySelectorAll<HTMLElement>("form.editor [id]")].find((element) => errors[element.id]);
    first?.focus();
  }, [save.error]);

  const set = (change: Partial<Draft>) => {
    save.clear();
    setDraft({ ...draft, ...change });
  };
  const busy = save.busy || remove.busy;

  return (
    <>
      <PageHeader title={saved ? saved.name : "New action"}>
        <Link href="/actions" class="button">
          All actions
        </Link>
        {saved && (
          <ConfirmButton
            label="Delete"
            question={`Delete the action "${saved.name}"? Sets that contain it lose it.`}
            disabled={busy}
            onConfirm={() => void remove.run()}
          />
        )}
      </PageHeader>
      {saved && (
        <p class="muted">
          {typeLabel(saved.type)} · created <Time value={saved.createdAt} /> · id <code>{saved.id}</code>
        </p>
      )}
      <ErrorBanner error={remove.error} />
      <form
        class="form editor"
        aria-label={saved ? "Edit action" : "New action"}
        onSubmit={(event) => {
          event.preventDefault();
          void save.run();
        }}
      >
        <Field label="Name (required)" id="action-name" error={errors["action-name"]}>
          <input id="action-name" value={draft.name} required maxLength={255} disabled={busy} onInput={(event) => set({ name: event.currentTarget.value })} />
        </Field>
        <Field label="Description" id="action-description" error={errors["action-description"]}>
          <textarea id="action-description" class="short prose" value={draft.description} maxLength={1024} disabled={busy} onInput={(event) => set({ description: event.currentTarget.value })} />
        </Field>
        <Field label="Type" id="action-type" hint={info?.summary} error={errors["action-type"]}>
          <select
            id="action-type"
            value={String(draft.type)}
            disabled={busy || Boolean(saved)}
            aria-describedby="action-type-hint"
            onChange={(event) => {
              const type = Number(event.currentTarget.value) as ActionType;
              const keep = typeInfo(type)?.paramsCase === info?.paramsCase;
              set({ type, params: keep ? draft.params : {} });
            }}
          >
            {actionTypes.map((item) => (
              <option key={item.type} value={String(item.type)}>
                {item.label}
              </option>
            ))}
          </select>
        </Field>
        {info && (
          <fieldset class="section" key={info.paramsCase}>
            <legend>{info.label} parameters</legend>
            <ParamsForm
              schema={info.schema}
              value={draft.params}
              idPrefix={`params-${info.paramsCase}`}
              disabled={busy}
              errors={errors}
              onChange={(params) => set({ params })}
            />
          </fieldset>
        )}
        <fieldset class="section">
          <legend>Running</legend>
          <Field label="Timeout (seconds)" id="action-timeout" hint={saved ? "0 keeps the current timeout." : "0 uses the server's default (300 s)."} error={errors["action-timeout"]}>
            <input
              id="action-timeout"
              type="number"
              min={0}
              step={1}
              value={String(draft.timeoutSeconds)}
              aria-describedby={errors["action-timeout"] ? "action-timeout-hint action-timeout-error" : "action-timeout-hint"}
              aria-invalid={errors["action-timeout"] ? true : undefined}
              disabled={busy}
              onInput={(event) => set({ timeoutSeconds: Number(event.currentTarget.value) || 0 })}
            />
          </Field>
          <ParamsForm schema={ActionScheduleSchema} value={draft.schedule} idPrefix="schedule" disabled={busy} errors={errors} onChange={(schedule) => set({ schedule })} />
        </fieldset>
        <ErrorBanner error={save.error} />
        {notice && <Notice>{notice}</Notice>}
        <div class="form-actions">
          <button type="submit" class="primary" disabled={busy}>
            {save.busy ? <Spinner label="Saving…" /> : saved ? "Save changes" : "Create action"}
          </button>
        </div>
      </form>
    </>
  );
}
