// The API names the fields it refuses ("validation failed: file.path must start with "/"; name
// is required"); this maps each to the form control showing that field, so the message also
// appears next to it.

// Request fields outside the params, by the id of their control in the action editor.
const topLevel: Record<string, string> = {
  name: "action-name",
  description: "action-description",
  type: "action-type",
  timeout_seconds: "action-timeout",
};

function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** Control id → what is wrong with it, from an API error text; empty when it names no field. */
export function fieldErrors(error: string | undefined, paramsCase: string): Record<string, string> {
  const found: Record<string, string> = {};
  const match = error?.match(/^validation failed:\s*(.*?)\.?$/i);
  if (!match) return found;
  for (const part of match[1].split("; ")) {
    const space = part.indexOf(" ");
    if (space <= 0) continue;
    const path = part.slice(0, space).replace(/\[.*\]$/, "").split(".");
    const rule = part.slice(space + 1);
    let id: string | undefined;
    if (path.length === 1) id = topLevel[path[0]];
    else if (path[0] === paramsCase) id = ["params", paramsCase, ...path.slice(1).map(camel)].join("-");
    else if (path[0] === "schedule") id = ["schedule", ...path.slice(1).map(camel)].join("-");
    if (id && !found[id]) found[id] = rule.charAt(0).toUpperCase() + rule.slice(1);
  }
  return found;
}
