// The short execution tables of the overview and the device page: each row links to the
// execution by the end of its id and shows its state, creation time and error; one column
// between says where or what it ran.
import type { ComponentChildren } from "preact";
import type { ActionExecution } from "../gen/pm/v1/control_pb";
import { Link } from "../router";
import { Time } from "../ui/components";
import { ExecutionState } from "../ui/status";
import { TableHead } from "../ui/table-head";

/** A table of `list`; `column` heads the second column, whose cells `cell` fills. */
export function ExecutionTable(props: {
  label?: string;
  list: ActionExecution[];
  column: string;
  cell: (execution: ActionExecution) => ComponentChildren;
}) {
  return (
    <table aria-label={props.label}>
      <TableHead columns={["Execution", props.column, "State", "Created", "Error"]} />
      <tbody>
        {props.list.map((execution) => (
          <tr key={execution.id}>
            <td>
              <Link href={`/executions/${execution.id}`}>
                <code>{execution.id.slice(-8)}</code>
              </Link>
            </td>
            <td>{props.cell(execution)}</td>
            <td>
              <ExecutionState status={execution.status} />
            </td>
            <td>
              <Time value={execution.createdAt} />
            </td>
            <td class="clip">{execution.error}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
