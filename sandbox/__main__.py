"""Run the Railway sandbox from a stack file, for trying the program with no Railway account.

    python -m sandbox serve --stack-file Pulumi.sandbox.yaml --port 8787 --token sandbox-token

Seeds the project described by the stack file's `stagefleet:railway` block (its ids are used as
the fixed ids, so the stack config and the sandbox agree), prints the GraphQL URL on the first
line of stdout, and serves until SIGTERM/SIGINT or until its lifetime ends.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from sandbox.railway import RailwaySandbox, SeedResult
from sandbox.server import DEFAULT_LIFETIME

RAILWAY_KEY = "stagefleet:railway"
DEFAULT_BASE_ENVIRONMENT = "staging-template"
# How often the main thread looks up from waiting; signals are handled between waits.
_POLL_SECONDS = 0.2


class StackFileError(Exception):
    """The stack file has no usable stagefleet:railway block."""


def railway_block(stack_file: Path) -> Mapping[str, Any]:
    """The `stagefleet:railway` mapping of a Pulumi stack file (a mapping or a JSON string)."""
    document = yaml.safe_load(stack_file.read_text()) or {}
    block = (document.get("config") or {}).get(RAILWAY_KEY)
    if isinstance(block, str):
        block = json.loads(block)
    if not isinstance(block, Mapping):
        raise StackFileError(f"{stack_file}: config.{RAILWAY_KEY} must be a mapping")
    if not block.get("projectId"):
        raise StackFileError(f"{stack_file}: config.{RAILWAY_KEY}.projectId is required")
    return block


def seed_from_block(sandbox: RailwaySandbox, block: Mapping[str, Any]) -> SeedResult:
    services: Sequence[Mapping[str, Any]] = block.get("services") or []
    return sandbox.seed_project(
        name=block.get("projectName") or "stagefleet",
        project_id=block["projectId"],
        base_environment=block.get("baseEnvironment") or DEFAULT_BASE_ENVIRONMENT,
        base_environment_id=block.get("baseEnvironmentId"),
        services=[
            {
                "name": svc["name"],
                "id": svc.get("id"),
                "repository": svc.get("repository"),
                "rootDirectory": svc.get("rootDirectory"),
            }
            for svc in services
        ],
    )


def serve(args: argparse.Namespace) -> int:
    try:
        block = railway_block(Path(args.stack_file))
    except (OSError, yaml.YAMLError, ValueError, StackFileError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    sandbox = RailwaySandbox(tokens=args.token, port=args.port, lifetime=args.lifetime)
    seed = seed_from_block(sandbox, block)
    stop_requested = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with sandbox:
        print(sandbox.url, flush=True)
        print(
            f"sandbox: Railway project {seed.project_id} (base environment "
            f"{seed.base_environment_id}, services {', '.join(seed.service_ids) or 'none'}); "
            f"stops after {args.lifetime:g}s or on SIGTERM/SIGINT",
            file=sys.stderr,
            flush=True,
        )
        while not stop_requested.is_set() and not sandbox.wait(_POLL_SECONDS):
            pass
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.split("\n")[0])
    commands = root.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the Railway sandbox seeded from a stack file")
    serve_cmd.add_argument("--stack-file", required=True, help="Pulumi stack file with stagefleet:railway")
    serve_cmd.add_argument("--port", type=int, default=8787, help="port on 127.0.0.1 (0 = any free port)")
    serve_cmd.add_argument(
        "--token", action="append", default=None,
        help="accepted Bearer token (repeatable; default sandbox-token)",
    )
    serve_cmd.add_argument(
        "--lifetime", type=float, default=DEFAULT_LIFETIME, help="seconds before stopping by itself"
    )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.token = args.token or ["sandbox-token"]
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
