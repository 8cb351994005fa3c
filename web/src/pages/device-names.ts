// Host names for the devices a page shows, looked up one by one (GetDevice) and remembered for
// the session: an executions page names 50 devices, and listing a 10,000-device fleet for that
// would take a hundred calls.
import { useEffect, useState } from "preact/hooks";
import { client } from "../api";
import type { Device } from "../gen/pm/v1/control_pb";

const known = new Map<string, Device>();
// Ids asked for or found missing, so no id is asked twice.
const asked = new Set<string>();
const parallel = 8;

/** The devices among `ids` found so far, by id; re-renders as more arrive. */
export function useDevicesById(ids: string[]): Map<string, Device> {
  const [, setTick] = useState(0);
  const key = [...new Set(ids)].sort().join(",");
  useEffect(() => {
    const missing = key.split(",").filter((id) => id && !asked.has(id));
    if (missing.length === 0) return;
    let live = true;
    for (const id of missing) asked.add(id);
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const id = missing[next++];
        // A device that cannot be read (deleted, not the user's) keeps its id as its name.
        const response = await client.getDevice({ id }).catch(() => undefined);
        if (response?.device) known.set(id, response.device);
      }
    };
    void Promise.all(Array.from({ length: Math.min(parallel, missing.length) }, worker)).then(() => {
      if (live) setTick((tick) => tick + 1);
    });
    return () => {
      live = false;
    };
  }, [key]);
  return known;
}
