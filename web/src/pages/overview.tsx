// The administrator's start page: how many devices are online, and what ran recently.
import { client } from "../api";
import { ExecutionStatus } from "../gen/pm/v1/common_pb";
import type { ActionExecution } from "../gen/pm/v1/control_pb";
import { Link } from "../router";
import { useAsync } from "../ui/async";
import { EmptyState, ErrorBanner, PageHeader, Spinner } from "../ui/components";
import { ExecutionTable } from "./execution-table";

const refreshMs = 5000;

export function OverviewPage() {
  const counts = useAsync(async () => {
    const [online, offline] = await Promise.all([
      client.listDevices({ pageSize: 1, statusFilter: "online" }),
      client.listDevices({ pageSize: 1, statusFilter: "offline" }),
    ]);
    return { online: online.totalCount, offline: offline.totalCount };
  }, [], refreshMs);
  const recent = useAsync(() => client.listExecutions({ pageSize: 10 }), [], refreshMs);
  const failures = useAsync(
    () => client.listExecutions({ pageSize: 5, statusFilter: ExecutionStatus.FAILED }),
    [],
    refreshMs,
  );

  return (
    <>
      <PageHeader title="Overview" />
      <ErrorBanner error={counts.error ?? recent.error ?? failures.error} onRetry={counts.reload} />
      <section class="stats" aria-label="Devices">
        <Stat label="Devices online" value={counts.data?.online} tone="ok" href="/devices?status=online" />
        <Stat label="Devices offline" value={counts.data?.offline} tone="idle" href="/devices?status=offline" />
        <Stat label="Recent failures" value={failures.data?.totalCount} tone="bad" href="/executions?status=failed" />
      </section>
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">Recent executions</h2>
        <Executions list={recent.data?.executions} loading={recent.loading && !recent.data} />
      </section>
      <section aria-labelledby="failures-title">
        <h2 id="failures-title">Latest failures</h2>
        <Executions list={failures.data?.executions} loading={failures.loading && !failures.data} />
      </section>
    </>
  );
}

function Stat(props: { label: string; value?: number; tone: string; href: string }) {
  return (
    <Link href={props.href} class={`stat stat-${props.tone}`}>
      <span class="stat-value">{props.value ?? "…"}</span>
      <span class="stat-label">{props.label}</span>
    </Link>
  );
}

function Executions(props: { list?: ActionExecution[]; loading: boolean }) {
  if (props.loading) return <Spinner />;
  if (!props.list || props.list.length === 0) {
    return (
      <EmptyState title="Nothing has run yet.">
        Dispatch an action to a device from the <Link href="/devices">Devices</Link> page.
      </EmptyState>
    );
  }
  return (
    <ExecutionTable
      list={props.list}
      column="Device"
      cell={(execution) => (
        <Link href={`/devices/${execution.deviceId}`}>
          <code>{execution.deviceId.slice(-8)}</code>
        </Link>
      )}
    />
  );
}
