// Paging through the API's page tokens: a stack of the tokens that led to the current page,
// so "Previous" works without the API having to go backwards.
import { useState } from "preact/hooks";

/** The token for the page shown and the moves between pages. */
export interface Paging {
  /** The page token to ask for ("" for the first page). */
  token: string;
  /** Whether there is a page before this one. */
  hasPrevious: boolean;
  /** Goes to the page `next` names. */
  next: (next: string) => void;
  /** Goes back one page. */
  previous: () => void;
  /** Back to the first page (after a filter changes). */
  reset: () => void;
}

/** Paging state for one list. */
export function usePaging(): Paging {
  const [stack, setStack] = useState<string[]>([""]);
  return {
    token: stack[stack.length - 1],
    hasPrevious: stack.length > 1,
    next: (next) => setStack([...stack, next]),
    previous: () => setStack(stack.length > 1 ? stack.slice(0, -1) : stack),
    reset: () => setStack([""]),
  };
}
