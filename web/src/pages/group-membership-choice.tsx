// The static/dynamic choice of a device group, as a pair of radio buttons in a fieldset.

/** Static (members picked by hand) or dynamic (members chosen by a query). */
export function MembershipChoice(props: { dynamic: boolean; onChange: (dynamic: boolean) => void; disabled?: boolean }) {
  return (
    <fieldset class="choice">
      <legend>How members are chosen</legend>
      <label>
        <input
          type="radio"
          name="membership"
          checked={!props.dynamic}
          disabled={props.disabled}
          onChange={() => props.onChange(false)}
        />
        Static: I pick the devices
      </label>
      <label>
        <input
          type="radio"
          name="membership"
          checked={props.dynamic}
          disabled={props.disabled}
          onChange={() => props.onChange(true)}
        />
        Dynamic: a label query picks them, and keeps picking as labels change
      </label>
    </fieldset>
  );
}
