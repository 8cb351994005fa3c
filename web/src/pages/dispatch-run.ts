// Sending one dispatch: picks the RPC for what runs (an ad-hoc shell command or a stored
// action, action set or definition) and where (one device, several, or a group), and returns
// every execution it created.
import { client } from "../api";
import { ActionType } from "../gen/pm/v1/actions_pb";
import type { ActionExecution } from "../gen/pm/v1/control_pb";
import type { Source } from "./fleet-lookups";
import { newUlid } from "./ulid";

/** What to run. */
export type What =
  | { kind: "shell"; script: string; interpreter: string; runAsRoot: boolean; timeoutSeconds: number }
  | { kind: "stored"; source: Source };

/** Where to run it. */
export type Where = { kind: "device"; id: string } | { kind: "devices"; ids: string[] } | { kind: "group"; id: string };

// How many per-device calls run at once when the API has no call for several devices at once
// (action sets and definitions on picked devices).
const parallel = 8;

function inlineAction(what: Extract<What, { kind: "shell" }>) {
  return {
    id: { value: newUlid() },
    type: ActionType.SHELL,
    timeoutSeconds: what.timeoutSeconds,
    params: {
      case: "shell" as const,
      value: { script: what.script, interpreter: what.interpreter, runAsRoot: what.runAsRoot },
    },
  };
}

/** Dispatches and returns the executions created, in the API's order. */
export async function dispatch(what: What, where: Where): Promise<ActionExecution[]> {
  if (where.kind === "group") {
    const actionSource =
      what.kind === "shell"
        ? { case: "inlineAction" as const, value: inlineAction(what) }
        : what.source.type === "action"
          ? { case: "actionId" as const, value: what.source.id }
          : what.source.type === "action_set"
            ? { case: "actionSetId" as const, value: what.source.id }
            : { case: "definitionId" as const, value: what.source.id };
    return (await client.dispatchToGroup({ groupId: where.id, actionSource })).executions;
  }
  const ids = where.kind === "device" ? [where.id] : where.ids;
  if (what.kind === "shell" || what.source.type === "action") {
    const actionSource =
      what.kind === "shell"
        ? { case: "inlineAction" as const, value: inlineAction(what) }
        : { case: "actionId" as const, value: what.source.id };
    if (ids.length === 1) {
      const response = await client.dispatchAction({ deviceId: ids[0], actionSource });
      return response.execution ? [response.execution] : [];
    }
    return (await client.dispatchToMultiple({ deviceIds: ids, actionSource })).executions;
  }
  const source = what.source;
  const one = async (deviceId: string) =>
    source.type === "action_set"
      ? (await client.dispatchActionSet({ deviceId, actionSetId: source.id })).executions
      : (await client.dispatchDefinition({ deviceId, definitionId: source.id })).executions;
  const results: ActionExecution[][] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const index = next++;
      results[index] = await one(ids[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, ids.length) }, worker));
  return results.flat();
}
