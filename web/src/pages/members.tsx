// The ordered members of an action set or a definition: drag a row onto another to move it
// there, or use the move up/down buttons (the keyboard way); each move is announced to screen
// readers, and focus stays on the button that moved the member.
import { useState } from "preact/hooks";
import { Link } from "../router";
import { Spinner } from "../ui/components";

/** One member as the list shows it. */
export interface MemberRow {
  /** The member's id (an action's or an action set's). */
  id: string;
  /** Its name, or its id when it no longer exists. */
  name: string;
  /** A short second line (the action's type, the set's size). */
  detail?: string;
  /** Where its own page is; empty when it is not known (deleted since). */
  href: string;
}

/** The list of members in order, with moving and removing. */
export function MemberList(props: {
  /** What a member is called ("action", "action set"). */
  noun: string;
  members: MemberRow[];
  busy: boolean;
  /** Persists the new order; resolves true when it was saved. */
  onReorder: (ids: string[]) => Promise<boolean>;
  onRemove: (member: MemberRow) => void;
}) {
  const { members, busy, noun } = props;
  const [dragging, setDragging] = useState<string>();
  const [over, setOver] = useState<string>();
  const [announcement, setAnnouncement] = useState("");

  const move = async (id: string, to: number, focus?: "up" | "down") => {
    const from = members.findIndex((member) => member.id === id);
    if (busy || from < 0 || to < 0 || to >= members.length || from === to) return;
    const ids = members.map((member) => member.id).filter((item) => item !== id);
    ids.splice(to, 0, id);
    const name = members[from].name;
    if (await props.onReorder(ids)) {
      setAnnouncement(`Moved ${name} to position ${to + 1} of ${members.length}.`);
    }
    if (focus) {
      // The row moved in the DOM; keep the keyboard where it was, or on the other arrow at an end.
      requestAnimationFrame(() => {
        const button = document.getElementById(`move-${focus}-${id}`) as HTMLButtonElement | null;
        const other = document.getElementById(`move-${focus === "up" ? "down" : "up"}-${id}`);
        (button && !button.disabled ? button : other)?.focus();
      });
    }
  };

  return (
    <>
      <p class="sr-only" role="status" aria-live="polite">
        {announcement}
      </p>
      <ol class="members" aria-label={`${noun.charAt(0).toUpperCase()}${noun.slice(1)}s in order`}>
        {members.map((member, index) => (
          <li
            key={member.id}
            class={`member${dragging === member.id ? " dragging" : ""}${over === member.id && dragging !== member.id ? " drop-target" : ""}`}
            draggable={!busy}
            data-member-id={member.id}
            onDragStart={(event) => {
              setDragging(member.id);
              event.dataTransfer?.setData("text/plain", member.id);
              if (event.dataTransfer) event.dataTransfer.effectAllowed = "move";
            }}
            onDragOver={(event) => {
              if (!dragging) return;
              event.preventDefault();
              if (event.dataTransfer) event.dataTransfer.dropEffect = "move";
              setOver(member.id);
            }}
            onDragLeave={() => setOver((current) => (current === member.id ? undefined : current))}
            onDrop={(event) => {
              event.preventDefault();
              const id = dragging ?? event.dataTransfer?.getData("text/plain");
              setDragging(undefined);
              setOver(undefined);
              if (id) void move(id, index);
            }}
            onDragEnd={() => {
              setDragging(undefined);
              setOver(undefined);
            }}
          >
            <span class="grip" aria-hidden="true" title="Drag to reorder">
              ⋮⋮
            </span>
            <span class="position" aria-hidden="true">
              {index + 1}
            </span>
            <span class="member-name">
              {member.href ? <Link href={member.href}>{member.name}</Link> : <span class="muted">{member.name}</span>}
              {member.detail && <span class="muted small"> · {member.detail}</span>}
            </span>
            <span class="member-actions">
              <MoveButton
                member={member}
                way="up"
                busy={busy}
                disabled={index === 0}
                onMove={() => void move(member.id, index - 1, "up")}
              />
              <MoveButton
                member={member}
                way="down"
                busy={busy}
                disabled={index === members.length - 1}
                onMove={() => void move(member.id, index + 1, "down")}
              />
              <button
                type="button"
                class="danger"
                aria-label={`Remove ${member.name}`}
                aria-disabled={busy}
                onClick={() => !busy && props.onRemove(member)}
              >
                Remove
              </button>
            </span>
          </li>
        ))}
      </ol>
      {busy && <Spinner label="Saving…" />}
    </>
  );
}

/** One place up or down for a member, from the keyboard. */
function MoveButton(props: { member: MemberRow; way: "up" | "down"; busy: boolean; disabled: boolean; onMove: () => void }) {
  const { member, way } = props;
  return (
    <button
      type="button"
      id={`move-${way}-${member.id}`}
      aria-label={`Move ${member.name} ${way}`}
      title={`Move ${way}`}
      // Not disabled while saving: a disabled button drops the keyboard focus.
      aria-disabled={props.busy}
      disabled={props.disabled}
      onClick={props.onMove}
    >
      {way === "up" ? "↑" : "↓"}
    </button>
  );
}
