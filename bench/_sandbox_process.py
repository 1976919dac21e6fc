"""Both sandboxes in a process of their own, for timing.

The emulators answer in Python: run in the benchmark's process they would compete for its GIL
with the program, the SDK and the engine's monitor, and the benchmark would time the emulators'
CPU as much as stagefleet. Real APIs run elsewhere; so do these, here.

    child:  venv/bin/python -m bench._sandbox_process --healthy-after 5 --latency 0.1
            prints one JSON line (URLs, seeded ids), then answers commands on stdin, one JSON line
            each: "journal", "state", "clear"; exits on "quit", on end of input, or when its
            lifetime ends, whichever comes first.
    parent: `with remote_sandboxes(healthy_after=5, latency=0.1) as boxes: ...`
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

from sandbox.server import JournalEntry

STARTUP_TIMEOUT = 30.0
ANSWER_TIMEOUT = 60.0


def _serve(argv: Sequence[str] | None = None) -> int:
    from bench._fleet import SANDBOX_LIFETIME, sandboxes

    parser = argparse.ArgumentParser()
    parser.add_argument("--healthy-after", type=float, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--lifetime", type=float, default=SANDBOX_LIFETIME)
    args = parser.parse_args(argv)
    # Whatever the parent does, this process ends: the servers stop themselves, and so does it.
    watchdog = threading.Timer(args.lifetime + 5.0, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()
    with sandboxes(healthy_after=args.healthy_after, latency=args.latency) as boxes:
        _answer({"railway_url": boxes.railway.url, "supabase_url": boxes.supabase.url,
                 "project_id": boxes.project_id, "base_environment_id": boxes.base_environment_id})  # fmt: skip
        for line in sys.stdin:
            command = line.strip()
            if command == "journal":
                _answer([{"api": api, **_entry(entry)} for api, entry in boxes.journal()])
            elif command == "state":
                _answer({"environments": boxes.railway.environments(boxes.project_id),
                         "projects": boxes.supabase.projects()})  # fmt: skip
            elif command == "clear":
                boxes.clear_journals()
                _answer({"cleared": True})
            elif command == "quit":
                break
            else:
                _answer({"error": f"unknown command {command!r}"})
    return 0


def _entry(entry: JournalEntry) -> dict[str, Any]:
    fields = asdict(entry)
    fields["root_fields"] = list(entry.root_fields)
    return fields


def _answer(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, default=str) + "\n")
    sys.stdout.flush()


class RemoteSandboxes:
    """The parent's handle on the child: what bench._fleet.Sandboxes offers, over a pipe."""

    def __init__(self, process: subprocess.Popen[str], hello: dict[str, Any]):
        from bench._fleet import RAILWAY_TOKEN, SUPABASE_TOKEN

        self._process = process
        self._lock = threading.Lock()
        self.project_id: str = hello["project_id"]
        self.base_environment_id: str = hello["base_environment_id"]
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
def remote_sandboxes(*, healthy_after: float, latency: float) -> Iterator[RemoteSandboxes]:
    from tests.program.harness import REPO

    process = subprocess.Popen(
        [sys.executable, "-m", "bench._sandbox_process", "--healthy-after", str(healthy_after), "--latency", str(latency)],
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
