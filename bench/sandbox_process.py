"""Both sandboxes in a process of their own, for timing.

The emulators answer in Python: run in the benchmark's process they would compete for its GIL
with the program, the SDK and the engine's monitor, and the benchmark would time the emulators'
CPU as much as stagefleet. Real APIs run elsewhere; so do these, here.

    child:  venv/bin/python -m bench.sandbox_process --healthy-after 5 --latency 0.1 \
                [--queued 0 --building 3 --deploying 2] [--railway-plan hobby --time-scale 30]
            prints one JSON line (URLs, the Railway edge's URL, seeded ids), then answers commands
            on stdin, one JSON line each: "journal", "edge_journal", "deployments", "state",
            "clear"; exits on "quit", on end of input, or when its lifetime ends, whichever comes
            first.
    parent: `with remote_sandboxes(healthy_after=5, latency=0.1) as boxes: ...`

The Railway sandbox's deployments move QUEUED -> BUILDING -> DEPLOYING -> SUCCESS on the timing
given (the sandbox's own short default when none is), and its edge answers each generated
`*.up.railway.app` domain once its deployment is SUCCESS. The latency applies to the API calls of
both sandboxes, not to the edge. Times in "journal" and "edge_journal" (`at`) and in the
deployments' histories (`at`) are time.monotonic() of this process: on one machine, comparable
with the parent's; `wallAt` is the same instant as a UTC ISO time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from harness import REPO
from sandbox.railway_deployments import DeployTiming
from sandbox.server import JournalEntry, PlanLimits

STARTUP_TIMEOUT = 30.0
ANSWER_TIMEOUT = 60.0


def _serve(argv: Sequence[str] | None = None) -> int:
    from bench.fleets import SANDBOX_LIFETIME, sandboxes

    parser = argparse.ArgumentParser()
    parser.add_argument("--healthy-after", type=float, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--lifetime", type=float, default=SANDBOX_LIFETIME)
    parser.add_argument("--queued", type=float, help="seconds a Railway deployment is QUEUED")
    parser.add_argument("--building", type=float, help="seconds it is BUILDING")
    parser.add_argument("--deploying", type=float, help="seconds it is DEPLOYING before SUCCESS")
    parser.add_argument(
        "--railway-plan",
        choices=("hobby", "pro"),
        help="enforce this Railway plan's limits, and Supabase's 120 a minute per endpoint",
    )
    parser.add_argument("--time-scale", type=float, default=1.0, help="every limit's window divided by this")
    args = parser.parse_args(argv)
    # Whatever the parent does, this process ends: the servers stop themselves, and so does it.
    watchdog = threading.Timer(args.lifetime + 5.0, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()
    _quiet_connection_resets()
    railway_limits = supabase_limits = None
    if args.railway_plan is not None:
        railway_limits = PlanLimits.railway(args.railway_plan, time_scale=args.time_scale)
        supabase_limits = PlanLimits.supabase(time_scale=args.time_scale)
    with sandboxes(
        healthy_after=args.healthy_after,
        latency=args.latency,
        railway_limits=railway_limits,
        supabase_limits=supabase_limits,
    ) as boxes:
        timing = _deploy_timing(boxes.railway.deploy_timing, args)
        boxes.railway.deploy_timing = timing  # before any deployment: it applies to those started later
        _answer(
            {
                "railway_url": boxes.railway.url,
                "supabase_url": boxes.supabase.url,
                "edge_url": boxes.railway.edge_url,
                "deploy_timing": asdict(timing),
                "project_id": boxes.project_id,
                "base_environment_id": boxes.base_environment_id,
            }
        )
        for line in sys.stdin:
            command = line.strip()
            if command == "journal":
                _answer([{"api": api, **_entry(entry)} for api, entry in boxes.journal()])
            elif command == "edge_journal":
                _answer([_entry(entry) for entry in boxes.railway.edge_journal])
            elif command == "deployments":
                _answer([_deployment(record) for record in boxes.railway.deployments()])
            elif command == "state":
                _answer(
                    {
                        "environments": boxes.railway.environments(boxes.project_id),
                        "projects": boxes.supabase.projects(),
                    }
                )
            elif command == "clear":
                boxes.clear_journals()
                boxes.railway.edge_journal_clear()
                _answer({"cleared": True})
            elif command == "quit":
                break
            else:
                _answer({"error": f"unknown command {command!r}"})
    return 0


def _quiet_connection_resets() -> None:
    """In this process only: a client resetting a keep-alive connection the server was waiting
    on (`fleet status` does, a few times a run, as its HTTP clients close) is no error worth a
    traceback on the benchmark's terminal. Every other error of a request is still printed."""
    original = socketserver.BaseServer.handle_error

    def handle_error(self: socketserver.BaseServer, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionResetError):
            return
        original(self, request, client_address)

    socketserver.BaseServer.handle_error = handle_error  # type: ignore[method-assign]


def _deploy_timing(default: DeployTiming, args: argparse.Namespace) -> DeployTiming:
    """The timing asked for; a phase not given keeps the sandbox's default."""
    return DeployTiming(
        queued=default.queued if args.queued is None else args.queued,
        building=default.building if args.building is None else args.building,
        deploying=default.deploying if args.deploying is None else args.deploying,
    )


def _deployment(record: dict[str, Any]) -> dict[str, Any]:
    """A deployment record (sandbox.railway_deployments.deployment_record) as JSON: every
    transition's wall time as a UTC ISO string."""
    history = [{**transition, "wallAt": _wall_iso(transition["wallAt"])} for transition in record["history"]]
    return {**record, "history": history}


def _wall_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _entry(entry: JournalEntry) -> dict[str, Any]:
    fields = asdict(entry)
    fields["root_fields"] = list(entry.root_fields)
    return fields


def _answer(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, default=str) + "\n")
    sys.stdout.flush()


class RemoteSandboxes:
    """The parent's handle on the child: what bench.fleets.Sandboxes offers, over a pipe."""

    def __init__(self, process: subprocess.Popen[str], hello: dict[str, Any]):
        from bench.fleets import RAILWAY_TOKEN, SUPABASE_TOKEN

        self._process = process
        self._lock = threading.Lock()
        self.project_id: str = hello["project_id"]
        self.base_environment_id: str = hello["base_environment_id"]
        # Where the services' generated domains answer (send the domain as Host).
        self.edge_url: str = hello["edge_url"]
        self.deploy_timing = DeployTiming(**hello["deploy_timing"])
        self.config = {
            "stagefleet:railwayToken": RAILWAY_TOKEN,
            "stagefleet:railwayApiUrl": hello["railway_url"],
            "stagefleet:supabaseAccessToken": SUPABASE_TOKEN,
            "stagefleet:supabaseApiUrl": hello["supabase_url"],
        }

    def _ask(self, command: str) -> Any:
        with self._lock:
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.write(command + "\n")
            self._process.stdin.flush()
            line = _readline(self._process, ANSWER_TIMEOUT)
        return json.loads(line)

    def clear_journals(self) -> None:
        self._ask("clear")

    def journal(self) -> list[tuple[str, JournalEntry]]:
        entries = []
        for fields in self._ask("journal"):
            api = fields.pop("api")
            fields["root_fields"] = tuple(fields["root_fields"])
            entries.append((api, JournalEntry(**fields)))
        return entries

    def edge_journal(self) -> list[JournalEntry]:
        """Requests the Railway edge received (`key` is the host)."""
        entries = []
        for fields in self._ask("edge_journal"):
            fields["root_fields"] = tuple(fields["root_fields"])
            entries.append(JournalEntry(**fields))
        return entries

    def deployments(self) -> list[dict[str, Any]]:
        """Every Railway deployment, in creation order, with its status history: `at` on the
        monotonic clock, `wallAt` a UTC ISO time."""
        return self._ask("deployments")

    def state(self) -> dict[str, Any]:
        return self._ask("state")


def _readline(process: subprocess.Popen[str], timeout: float) -> str:
    """One line from the child, within `timeout` seconds (a bounded wait, not a hang)."""
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not result or not result[0]:
        raise RuntimeError(f"the sandbox process did not answer within {timeout:g}s (exit code {process.poll()})")
    return result[0]


@contextlib.contextmanager
def remote_sandboxes(
    *,
    healthy_after: float,
    latency: float,
    deploy_timing: DeployTiming | None = None,
    railway_plan: str | None = None,
    time_scale: float = 1.0,
) -> Iterator[RemoteSandboxes]:
    """The sandboxes in a process of their own; with `railway_plan`, enforcing that plan's limits
    and Supabase's, every window divided by `time_scale`."""
    timing: list[str] = []
    if railway_plan is not None:
        timing += ["--railway-plan", railway_plan, "--time-scale", str(time_scale)]
    if deploy_timing is not None:
        timing += [
            "--queued",
            str(deploy_timing.queued),
            "--building",
            str(deploy_timing.building),
            "--deploying",
            str(deploy_timing.deploying),
        ]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.sandbox_process",
            "--healthy-after",
            str(healthy_after),
            "--latency",
            str(latency),
            *timing,
        ],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        hello = json.loads(_readline(process, STARTUP_TIMEOUT))
        yield RemoteSandboxes(process, hello)
    finally:
        try:
            if process.stdin is not None:
                process.stdin.write("quit\n")
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


if __name__ == "__main__":
    sys.exit(_serve())
