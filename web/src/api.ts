// The console's one client of the pm.v1 ControlService: Connect with JSON over fetch, the
// session in the pm_access / pm_refresh cookies (HttpOnly: the page never sees a token).
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ControlService } from "./gen/pm/v1/control_pb";

/** Called when the session has ended and a refresh could not renew it. */
let onSessionEnded: () => void = () => {};

/** Installs what happens when the session ends (the app shows the sign-in page). */
export function setSessionEndedHandler(handler: () => void): void {
  onSessionEnded = handler;
}

// Methods that must not trigger a refresh: they are how a session starts and ends.
const sessionMethods = new Set(["Login", "RefreshToken", "Logout", "Register"]);
let refreshing: Promise<boolean> | null = null;

/** Renews the access cookie from the refresh cookie, once for all callers waiting on it. */
function refreshSession(): Promise<boolean> {
  refreshing ??= client
    .refreshToken({})
    .then(() => true)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

// An access token expires after minutes; on `unauthenticated` renew it and retry the call once.
const refreshOnExpiry: Interceptor = (next) => async (request) => {
  try {
    return await next(request);
  } catch (error) {
    const method = request.method.name;
    if (
      sessionMethods.has(method) ||
      !(error instanceof ConnectError) ||
      error.code !== Code.Unauthenticated
    ) {
      throw error;
    }
    if (await refreshSession()) {
      return await next(request);
    }
    onSessionEnded();
    throw error;
  }
};

const transport = createConnectTransport({
  baseUrl: window.location.origin,
  useBinaryFormat: false,
  fetch: (input, init) => globalThis.fetch(input, { ...init, credentials: "include" }),
  interceptors: [refreshOnExpiry],
});

/** The ControlService client every page uses. */
export const client = createClient(ControlService, transport);

/** The API's own message for a failed call, in words a person can act on. */
export function errorText(error: unknown): string {
  if (error instanceof ConnectError) {
    switch (error.code) {
      case Code.Unavailable:
        return `The server is unavailable (${error.rawMessage}). Try again in a moment.`;
      case Code.PermissionDenied:
        // The bare refusal of the policy says nothing a person can act on; a handler's own
        // reason ("current password is incorrect") does.
        return !error.rawMessage || error.rawMessage === "permission denied"
          ? "You are not allowed to do this. Ask an administrator if you need it."
          : sentence(error.rawMessage);
      default:
        return sentence(error.rawMessage) || `The request failed (${Code[error.code]}).`;
    }
  }
  if (error instanceof TypeError) {
    return "The server cannot be reached. Check the connection and try again.";
  }
  return error instanceof Error ? error.message : String(error);
}

/** The API's messages are lower-case fragments ("invalid email or password"): make them a sentence. */
function sentence(text: string): string {
  if (!text) return text;
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** Whether `error` is the API saying that the thing asked for does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ConnectError && error.code === Code.NotFound;
}

/** The largest page the API gives (`page_size` is at most 100 on every List call). */
export const maxPageSize = 100;

/**
 * Every item of a paged List call, following the page tokens (for pickers and name lookups;
 * lists a person reads page through instead). Stops after `limit` items.
 */
export async function listAll<T>(
  page: (token: string) => Promise<{ items: T[]; nextPageToken: string }>,
  limit = 10000,
): Promise<T[]> {
  const all: T[] = [];
  let token = "";
  do {
    const { items, nextPageToken } = await page(token);
    all.push(...items);
    token = nextPageToken;
  } while (token && all.length < limit);
  return all;
}
