// A table's header row from its column names, so every list labels its columns the same way
// (scope="col", and a last column for the row's buttons named only for screen readers).
/** The header row: `columns` in order (false leaves one out); `hidden` names a last column for assistive technology only. */
export function TableHead(props: { columns: (string | false)[]; hidden?: string | false }) {
  return (
    <thead>
      <tr>
        {props.columns.map(
          (column, at) =>
            column !== false && (
              <th scope="col" key={at}>
                {column}
              </th>
            ),
        )}
        {props.hidden && (
          <th scope="col">
            <span class="visually-hidden">{props.hidden}</span>
          </th>
        )}
      </tr>
    </thead>
  );
}
