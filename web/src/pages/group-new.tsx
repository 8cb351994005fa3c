// Creating a device group: a name, a description, and whether its members are picked by hand
// (static) or chosen by a label query (dynamic), with the query checked live as it is typed.
import { useState } from "preact/hooks";
import { client } from "../api";
import { Link, navigate } from "../router";
import { useCommand } from "../ui/async";
import { ErrorBanner, PageHeader, Spinner } from "../ui/components";
import { InputField } from "../ui/input-field";
import { MembershipChoice } from "./group-membership-choice";
import { QueryEditor, type QueryCheck } from "./query-editor";

/** The form at /groups/new. */
export function GroupNewPage() {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [dynamic, setDynamic] = useState(false);
  const [query, setQuery] = useState("");
  const [check, setCheck] = useState<QueryCheck>({ state: "checking" });
  const create = useCommand(async () => {
    const response = await client.createDeviceGroup({
      name: name.trim(),
      description: description.trim(),
      isDynamic: dynamic,
      dynamicQuery: dynamic ? query : "",
    });
    navigate(`/groups/${response.group?.id ?? ""}`);
  });
  const blocked = dynamic && check.state === "invalid";

  return (
    <>
      <PageHeader title="New device group" />
      <form
        class="form card"
        onSubmit={(event) => {
          event.preventDefault();
          if (!blocked) void create.run();
        }}
      >
        <InputField
          label="Name"
          id="group-name"
          required
          value={name}
          onValue={setName}
        />
        <InputField
          label="Description"
          id="group-description"
          hint="What the group is for (optional)."
          value={description}
          onValue={setDescription}
        />
        <MembershipChoice dynamic={dynamic} onChange={setDynamic} />
        {dynamic && <QueryEditor id="group-query" value={query} onInput={setQuery} onCheck={setCheck} />}
        <ErrorBanner error={create.error} />
        <div class="form-actions">
          <button type="submit" class="primary" disabled={create.busy || blocked || !name.trim()}>
            {create.busy ? <Spinner label="Creating…" /> : "Create group"}
          </button>
          <Link href="/groups" class="button">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
