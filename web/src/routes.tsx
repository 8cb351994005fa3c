// Every page of the console, in navigation order: its path, its title in the navigation, and
// who sees it. The API decides what each role may do; this only keeps the menus relevant.
import type { ComponentType } from "preact";
import { AccountPage } from "./pages/account";
import { ActionEditorPage } from "./pages/action-editor";
import { ActionSetPage, ActionSetsPage } from "./pages/action-sets";
import { ActionsPage } from "./pages/actions";
import { AssignmentsPage } from "./pages/assignments";
import { DefinitionPage, DefinitionsPage } from "./pages/definitions";
import { DevicePage } from "./pages/device";
import { DevicesPage } from "./pages/devices";
import { DispatchPage } from "./pages/dispatch";
import { ExecutionPage } from "./pages/execution";
import { ExecutionsPage } from "./pages/executions";
import { GroupDetailPage } from "./pages/group-detail";
import { GroupNewPage } from "./pages/group-new";
import { GroupsPage } from "./pages/groups";
import { MyActionsPage } from "./pages/my-actions";
import { OverviewPage } from "./pages/overview";
import { TokensPage } from "./pages/tokens";
import { UsersPage } from "./pages/users";

/** A page and where it lives. */
export interface PageRoute {
  /** The path pattern, with :name for parameters. */
  path: string;
  /** The page; receives the path's parameters. */
  page: ComponentType<{ params: Record<string, string> }>;
  /** Its entry in the navigation (none for detail pages). */
  nav?: string;
  /** Its entry in a user's navigation, when it differs (their own devices). */
  userNav?: string;
  /** Who sees it: administrators, users, or both (the default). */
  for?: "admin" | "user";
}

/** The table the app routes by; the first match wins ("/x/new" before "/x/:id"). */
export const routes: PageRoute[] = [
  { path: "/", page: OverviewPage, nav: "Overview", for: "admin" },
  { path: "/devices", page: DevicesPage, nav: "Devices", userNav: "My devices" },
  { path: "/devices/:id", page: DevicePage },
  { path: "/my-actions", page: MyActionsPage, nav: "My actions", for: "user" },
  { path: "/dispatch", page: DispatchPage, nav: "Dispatch", for: "admin" },
  { path: "/executions", page: ExecutionsPage, nav: "Executions" },
  { path: "/executions/:id", page: ExecutionPage },
  { path: "/actions", page: ActionsPage, nav: "Actions", for: "admin" },
  { path: "/actions/new", page: ActionEditorPage, for: "admin" },
  { path: "/actions/:id", page: ActionEditorPage, for: "admin" },
  { path: "/action-sets", page: ActionSetsPage, nav: "Action sets", for: "admin" },
  { path: "/action-sets/:id", page: ActionSetPage, for: "admin" },
  { path: "/definitions", page: DefinitionsPage, nav: "Definitions", for: "admin" },
  { path: "/definitions/:id", page: DefinitionPage, for: "admin" },
  { path: "/groups", page: GroupsPage, nav: "Device groups", for: "admin" },
  { path: "/groups/new", page: GroupNewPage, for: "admin" },
  { path: "/groups/:id", page: GroupDetailPage, for: "admin" },
  { path: "/assignments", page: AssignmentsPage, nav: "Assignments", for: "admin" },
  { path: "/users", page: UsersPage, nav: "Users", for: "admin" },
  { path: "/tokens", page: TokensPage, nav: "Registration tokens", for: "admin" },
  { path: "/account", page: AccountPage },
];
