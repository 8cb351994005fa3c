// The console's building blocks: progress, errors, empty states, times, badges, paging,
// page headers and form fields. Every page uses these so they look and behave alike.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** A progress indicator for anything that waits; announced to screen readers. */
export function Spinner(props: { label?: string }) {
  return (
    <span class="spinner" role="status">
      <span class="spinner-dot" aria-hidden="true" />
      <span class="spinner-label">{props.label ?? "Loading…"}</span>
    </span>
  );
}

/** The API's error message, where the user is looking. */
export function ErrorBanner(props: { error?: string; onRetry?: () => void }) {
  if (!props.error) return null;
  return (
    <div class="banner banner-error" role="alert">
      <span>{props.error}</span>
      {props.onRetry && (
        <button type="button" class="link-button" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A success message after a change. */
export function Notice(props: { children: ComponentChildren }) {
  return (
    <div class="banner banner-ok" role="status">
      {props.children}
    </div>
  );
}

/** What to do next when a list is empty. */
export function EmptyState(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{props.title}</p>
      {props.children && <div class="empty-next">{props.children}</div>}
    </div>
  );
}

/** A page's title, with its actions on the right. Moves focus to the title on navigation. */
export function PageHeader(props: { title: string; children?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Power Manage`;
    heading.current?.focus({ preventScroll: true });
  }, [props.title]);
  return (
    <header class="page-header">
      <h1 tabIndex={-1} ref={heading}>
        {props.title}
      </h1>
      {props.children && <div class="page-actions">{props.children}</div>}
    </header>
  );
}

/** A protobuf timestamp as local date and time, with the exact value on hover. */
export function Time(props: { value?: Timestamp; empty?: string }) {
  if (!props.value || (props.value.seconds === 0n && props.value.nanos === 0)) {
    return <span class="muted">{props.empty ?? "never"}</span>;
  }
  const date = new Date(Number(props.value.seconds) * 1000 + Math.floor(props.value.nanos / 1e6));
  return (
    <time dateTime={date.toISOString()} title={date.toISOString()}>
      {relative(date)}
    </time>
  );
}

function relative(date: Date): string {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (Math.abs(seconds) < 45) return "just now";
  if (seconds > 0 && seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds > 0 && seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return date.toLocaleString();
}

/** A short coloured status word (online, failed, …). */
export function Badge(props: { tone: "ok" | "bad" | "warn" | "idle" | "info"; children: ComponentChildren }) {
  return <span class={`badge badge-${props.tone}`}>{props.children}</span>;
}

/** Next/previous for the API's page tokens. `tokens` is the stack of tokens that led here. */
export function Pager(props: {
  total?: number;
  shown: number;
  hasPrevious: boolean;
  nextToken?: string;
  onPrevious: () => void;
  onNext: (token: string) => void;
}) {
  return (
    <nav class="pager" aria-label="Pages">
      <span class="muted">
        {props.total !== undefined ? `${props.shown} shown of ${props.total}` : `${props.shown} shown`}
      </span>
      <button type="button" disabled={!props.hasPrevious} onClick={props.onPrevious}>
        Previous
      </button>
      <button
        type="button"
        disabled={!props.nextToken}
        onClick={() => props.nextToken && props.onNext(props.nextToken)}
      >
        Next
      </button>
    </nav>
  );
}

/** A labelled form field; `hint` explains, `error` says what is wrong with it. */
export function Field(props: {
  label: string;
  id: string;
  hint?: string;
  error?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={`field${props.error ? " field-invalid" : ""}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <small class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </small>
      )}
      {props.error && (
        <small class="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </small>
      )}
    </div>
  );
}

/** A button that asks once more before something that cannot be undone. */
export function ConfirmButton(props: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  return (
    <button
      type="button"
      class="danger"
      disabled={props.disabled}
      onClick={() => {
        if (window.confirm(props.question)) props.onConfirm();
      }}
    >
      {props.label}
    </button>
  );
}
