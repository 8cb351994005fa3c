// Every page of the console, in navigation order: its path, its title in the navigation, and
// who sees it. The API decides what each role may do; this only keeps the menus relevant.
import type { ComponentType } from "preact";
import { AssignmentsPage } from "./pages/assignments";
import { DevicesPage } from "./pages/devices";
import { DispatchPage } from "./pages/dispatch";
import { ExecutionPage } from "./pages/execution";
import { ExecutionsPage } from "./pages/executions";
import { GroupDetailPage } from "./pages/group-detail";
import { GroupNewPage } from "./pages/group-new";
import { GroupsPage } from "./pages/groups";
import { OverviewPage } from "./pages/overview";

/** A page and where it lives. */
export interface PageRoute {
  /** The path pattern, with :name for parameters. */
  path: string;
  /** The page; receives the path's parameters. */
  page: ComponentType<{ params: Record<string, string> }>;
  /** Its entry in the navigation (none for detail pages). */
  nav?: string;
  /** Who sees it: administrators, users, or both (the default). */
  for?: "admin" | "user";
}

/** The table the app routes by; the first match wins. */
export const routes: PageRoute[] = [
  { path: "/", page: OverviewPage, nav: "Overview", for: "admin" },
  { path: "/devices", page: DevicesPage, nav: "Devices" },
  // "/groups/new" before "/groups/:id": the first match wins.
  { path: "/groups", page: GroupsPage, nav: "Device groups", for: "admin" },
  { path: "/groups/new", page: GroupNewPage, for: "admin" },
  { path: "/groups/:id", page: GroupDetailPage, for: "admin" },
  { path: "/assignments", page: AssignmentsPage, nav: "Assignments", for: "admin" },
  { path: "/dispatch", page: DispatchPage, nav: "Dispatch", for: "admin" },
  { path: "/executions", page: ExecutionsPage, nav: "Executions" },
  { path: "/executions/:id", page: ExecutionPage },
];
