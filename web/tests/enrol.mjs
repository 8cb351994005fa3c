// Enrols many real devices for the scale tests: pm-agent-sim registers each one through the
// API's Register with its own key and CSR (as a real agent does), then is stopped. Its gateway
// address is a port nobody listens on and its reconnect wait is an hour, so no agent holds a
// stream: the fleet exists in the database, as after a mass enrolment, without 10,000 mTLS
// streams competing for this machine's two cores while the browser is measured.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, stackEnv } from "./lib.mjs";

/** The build tree web/tests/run was given (it exports PM_BUILD_DIR). */
function buildDir() {
  const dir = process.env.PM_BUILD_DIR;
  if (!dir) throw new Error("PM_BUILD_DIR is not set: run the tests through web/tests/run");
  return dir;
}

/** The number of devices ListDevices counts, as `accessToken`'s owner (an admin sees all). */
export async function deviceCount(accessToken) {
  const page = await api("ListDevices", { pageSize: 1 }, accessToken);
  return Number(page.totalCount ?? 0);
}

/**
 * Registers `count` devices named PREFIX00000.. through pm-agent-sim and waits until the API
 * counts them; resolves to the seconds it took. Fails (and stops the simulator) if it takes
 * longer than `timeoutMs` or the simulator exits early.
 */
export async function enrolDevices(accessToken, { count, prefix = "scale-", timeoutMs = 150_000 }) {
  const before = await deviceCount(accessToken);
  const created = await api("CreateToken", { name: `scale test ${count}`, maxUses: 0 }, accessToken);
  const state = mkdtempSync(join(tmpdir(), "pm-enrol-"));
  const started = performance.now();
  const sim = spawn(
    join(buildDir(), "examples/agent-sim/pm-agent-sim"),
    [
      `--control-url=${stackEnv().PM_CONSOLE_URL}`,
      `--token=${created.token.value}`,
      `--count=${count}`,
      `--state-dir=${join(state, "agents")}`,
      `--hostname-prefix=${prefix}`,
      "--register-concurrency=32",
      // Port 1: refused at once, so the agents go straight to their hour-long backoff.
      "--gateway-url=https://127.0.0.1:1",
      "--backoff-min=1h",
      "--backoff-max=1h",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const chunks = [];
  sim.stderr.on("data", (chunk) => chunks.push(chunk));
  let exited = null;
  sim.on("exit", (code, signal) => (exited = signal ?? `exit code ${code}`));
  try {
    for (;;) {
      const seen = (await deviceCount(accessToken)) - before;
      if (seen >= count) break;
      if (exited) throw new Error(`pm-agent-sim stopped (${exited}) after ${seen} of ${count} devices:\n${tail(chunks)}`);
      if (performance.now() - started > timeoutMs) {
        throw new Error(`only ${seen} of ${count} devices registered in ${timeoutMs / 1000} s:\n${tail(chunks)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return (performance.now() - started) / 1000;
  } finally {
    if (!exited) {
      // SIGKILL: once registered, the simulator builds every agent's TLS context and, on
      // SIGTERM, takes 20 s of both cores to wind 10,000 agents down, which the measurement
      // after this would pay for. Nothing of it is needed: the devices are in the database.
      const gone = new Promise((resolve) => sim.once("exit", resolve));
      sim.kill("SIGKILL");
      await gone;
    }
    rmSync(state, { recursive: true, force: true });
  }
}

/** The last lines the simulator wrote (its progress and any error). */
function tail(chunks) {
  return Buffer.concat(chunks).toString("utf8").split(/\r|\n/).filter(Boolean).slice(-5).join("\n");
}

/** Durations (ms) of the ListDevices calls pm-control logged after line `fromLine` of its log. */
export function listDevicesDurations(fromLine = 0) {
  const lines = readFileSync(join(process.env.PM_STACK_DIR, "pm-control.log"), "utf8").split("\n");
  return {
    lines: lines.length,
    durations: lines
      .slice(fromLine)
      .filter((line) => line.includes("method=pm.v1.ControlService.ListDevices "))
      .map((line) => Number(/duration_ms=([0-9.]+)/.exec(line)?.[1]))
      .filter((ms) => Number.isFinite(ms)),
  };
}
