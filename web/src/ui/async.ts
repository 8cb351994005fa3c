// Hooks for data from the API: the result, the error in words, whether it is loading, and a
// reload; polling for the live views (paused while the tab is hidden).
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "../api";

/** The state of one asynchronous load. */
export interface Async<T> {
  /** The last value loaded (kept while a reload runs, so the page does not flicker). */
  data: T | undefined;
  /** The last failure, in words (cleared by a successful load). */
  error: string | undefined;
  /** Whether a load is running. */
  loading: boolean;
  /** Loads again. */
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change; `every` (ms) repeats it for live views. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[], every?: number): Async<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const reload = useCallback(() => setTick((value) => value + 1), []);

  useEffect(() => {
    const mine = ++generation.current;
    setLoading(true);
    load()
      .then((value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
      })
      .catch((failure) => {
        if (mine === generation.current) setError(errorText(failure));
      })
      .finally(() => {
        if (mine === generation.current) setLoading(false);
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  useEffect(() => {
    if (!every) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") reload();
    }, every);
    return () => clearInterval(timer);
  }, [every, reload]);

  return { data, error, loading, reload };
}

/** The state of a command (a button that changes something). */
export interface Command<A extends unknown[]> {
  /** Runs the command; resolves true on success. Errors land in `error`. */
  run: (...args: A) => Promise<boolean>;
  /** Whether it is running (disable the button, show progress). */
  busy: boolean;
  /** The last failure, in words. */
  error: string | undefined;
  /** Clears the error (when the user edits the form again). */
  clear: () => void;
}

/** Wraps a mutation so a form can show progress and the API's error message. */
export function useCommand<A extends unknown[]>(action: (...args: A) => Promise<unknown>): Command<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (...args: A) => {
    setBusy(true);
    setError(undefined);
    try {
      await action(...args);
      return true;
    } catch (failure) {
      setError(errorText(failure));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, clear: () => setError(undefined) };
}
