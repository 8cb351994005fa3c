// An execution's output: the final output once it has finished, the output streamed so far
// while it runs, and its error.
import type { ActionExecution } from "../gen/pm/v1/control_pb";
import { isFinished } from "../ui/status";

/** The stdout and stderr of `execution` (final, else live), labelled, or a word saying there is none. */
export function ExecutionOutput(props: { execution: ActionExecution; compact?: boolean }) {
  const { execution } = props;
  const finished = isFinished(execution.status);
  const output = finished && execution.output ? execution.output : execution.liveOutput ?? execution.output;
  const stdout = output?.stdout ?? "";
  const stderr = output?.stderr ?? "";
  if (!stdout && !stderr) {
    return <span class="muted">{finished ? "no output" : "waiting for output…"}</span>;
  }
  if (props.compact) {
    // In a table row: the last lines only, clipped rather than scrolled (the execution's page
    // has all of it), so the rows stay short and there is nothing to scroll inside a cell.
    return (
      <div class="output output-compact">
        {stdout && <pre>{lastLines(stdout)}</pre>}
        {stderr && <pre class="stderr">{lastLines(stderr)}</pre>}
      </div>
    );
  }
  return (
    <div class="output">
      {stdout && (
        <pre role="region" aria-label="Standard output" tabIndex={0}>
          {stdout}
        </pre>
      )}
      {stderr && (
        <pre class="stderr" role="region" aria-label="Standard error" tabIndex={0}>
          {stderr}
        </pre>
      )}
    </div>
  );
}

function lastLines(text: string, count = 4): string {
  const lines = text.replace(/\n$/, "").split("\n");
  return lines.length > count ? `…\n${lines.slice(-count).join("\n")}` : lines.join("\n");
}
