// Text an operator copies into a terminal: shown in full, with a Copy button. Where the
// clipboard API is missing (plain http on another host) the text is selected instead, so
// Ctrl+C still works.
import { useRef, useState } from "preact/hooks";

/** A block of text with a button that copies it (or selects it when copying is impossible). */
export function CopyText(props: { label: string; text: string; id: string }) {
  const block = useRef<HTMLPreElement>(null);
  const [said, setSaid] = useState("");

  const selectText = () => {
    const node = block.current;
    const selection = window.getSelection();
    if (!node || !selection) return;
    const range = document.createRange();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
  };

  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(props.text);
      setSaid("Copied.");
    } catch {
      selectText();
      setSaid("Selected: press Ctrl+C to copy.");
    }
  };

  return (
    <div class="copy-text">
      <div class="copy-text-head">
        <span id={`${props.id}-label`} class="copy-text-label">
          {props.label}
        </span>
        <button type="button" onClick={() => void copy()} aria-describedby={`${props.id}-label`}>
          Copy
        </button>
        <span class="muted" role="status">
          {said}
        </span>
      </div>
      <pre id={props.id} ref={block} aria-labelledby={`${props.id}-label`} tabIndex={0}>
        {props.text}
      </pre>
    </div>
  );
}
