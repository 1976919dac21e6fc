"""Run the sandboxes from a stack file, for trying the program with no Railway/Supabase account.

    python -m sandbox serve --stack-file Pulumi.sandbox.yaml --port 8787 --token sandbox-token

Seeds the project described by the stack file's `stagefleet:railway` block (its ids are used as
the fixed ids, so the stack config and the sandbox agree) and prints four lines on stdout:

1. the Railway GraphQL URL;
2. the Supabase Management API base URL (no /v1), when the stack file has a `stagefleet:supabase`
   block (or `--supabase` is given; the block's `organizationSlug` is seeded), else empty;
3. the Statsig Console API base URL (no /console/v1), when the stack file has
   `stagefleet:featureFlags` (or `--statsig` is given), else empty;
4. the Railway edge URL: the services' generated domains answer HTTP there, routed by the Host
   header. Deployments build for `--build-seconds` and deploy for `--deploy-seconds`.

Serves until SIGTERM/SIGINT or until its lifetime ends; when one emulator stops, all do.
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

from sandbox.railway import DeployTiming, RailwaySandbox, SeedResult
from sandbox.server import DEFAULT_LIFETIME
from sandbox.statsig import StatsigSandbox
from sandbox.supabase import SupabaseSandbox

RAILWAY_KEY = "stagefleet:railway"
SUPABASE_KEY = "stagefleet:supabase"
FEATURE_FLAGS_KEY = "stagefleet:featureFlags"
DEFAULT_BASE_ENVIRONMENT = "staging-template"
# Seconds until a Supabase project or branch created in the served sandbox is ACTIVE_HEALTHY:
# long enough that the program's readiness waits are exercised, short enough to try it quickly.
DEFAULT_HEALTHY_AFTER = 2.0
# Seconds a deployment in the served sandbox builds, then deploys: `fleet status --wait` sees
# every status go by, and `make sandbox` stays quick.
DEFAULT_BUILD_SECONDS = 1.0
DEFAULT_DEPLOY_SECONDS = 1.0
# How often the main thread looks up from waiting; signals are handled between waits.
_POLL_SECONDS = 0.2


class StackFileError(Exception):
    """The stack file has no usable stagefleet:railway block (or a malformed stagefleet:supabase one)."""


def _config(stack_file: Path) -> Mapping[str, Any]:
    document = yaml.safe_load(stack_file.read_text()) or {}
    return document.get("config") or {}


def railway_block(stack_file: Path) -> Mapping[str, Any]:
    """The `stagefleet:railway` mapping of a Pulumi stack file (a mapping or a JSON string)."""
    block = _config(stack_file).get(RAILWAY_KEY)
    if isinstance(block, str):
        block = json.loads(block)
    if not isinstance(block, Mapping):
        raise StackFileError(f"{stack_file}: config.{RAILWAY_KEY} must be a mapping")
    if not block.get("projectId"):
        raise StackFileError(f"{stack_file}: config.{RAILWAY_KEY}.projectId is required")
    return block


def supabase_block(stack_file: Path) -> Mapping[str, Any] | None:
    """The `stagefleet:supabase` mapping of a stack file (a mapping or a JSON string), or None."""
    block = _config(stack_file).get(SUPABASE_KEY)
    if block is None:
        return None
    if isinstance(block, str):
        block = json.loads(block)
    if not isinstance(block, Mapping):
        raise StackFileError(f"{stack_file}: config.{SUPABASE_KEY} must be a mapping")
    slug = block.get("organizationSlug")
    if not isinstance(slug, str) or not slug:
        raise StackFileError(f"{stack_file}: config.{SUPABASE_KEY}.organizationSlug is required")
    return block


def has_feature_flags(stack_file: Path) -> bool:
    """Whether the stack file declares `stagefleet:featureFlags` (any value but null)."""
    return _config(stack_file).get(FEATURE_FLAGS_KEY) is not None


def make_statsig(args: argparse.Namespace, flags: bool) -> StatsigSandbox | None:
    """The Statsig sandbox to serve beside Railway's; None when not asked for."""
    if not flags and not args.statsig:
        return None
    if args.statsig_port is not None:
        port = args.statsig_port
    else:
        port = args.port + 2 if args.port else 0
    return StatsigSandbox(keys=args.statsig_key or args.token, port=port, lifetime=args.lifetime)


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
                "healthcheckPath": svc.get("healthcheckPath"),
            }
            for svc in services
        ],
    )


def make_supabase(args: argparse.Namespace, block: Mapping[str, Any] | None) -> SupabaseSandbox | None:
    """The Supabase sandbox to serve beside Railway's, seeded; None when not asked for."""
    if block is None and not args.supabase:
        return None
    if args.supabase_port is not None:
        port = args.supabase_port
    else:
        port = args.port + 1 if args.port else 0
    sandbox = SupabaseSandbox(
        tokens=args.supabase_token or args.token,
        healthy_after=args.supabase_healthy_after,
        port=port,
        lifetime=args.lifetime,
    )
    slug = block["organizationSlug"] if block is not None else args.supabase_organization
    if slug:
        name = (block or {}).get("organizationName") or slug
        sandbox.seed_organization(slug=slug, name=name)
    return sandbox


def serve(args: argparse.Namespace) -> int:
    stack_file = Path(args.stack_file)
    try:
        block = railway_block(stack_file)
        sb_block = supabase_block(stack_file)
        flags = has_feature_flags(stack_file)
    except (OSError, yaml.YAMLError, ValueError, StackFileError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    edge_port = args.edge_port if args.edge_port is not None else (args.port + 3 if args.port else 0)
    sandbox = RailwaySandbox(tokens=args.token, port=args.port, lifetime=args.lifetime, edge_port=edge_port)
    sandbox.deploy_timing = DeployTiming(building=args.build_seconds, deploying=args.deploy_seconds)
    seed = seed_from_block(sandbox, block)
    supabase = make_supabase(args, sb_block)
    statsig = make_statsig(args, flags)
    stop_requested = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with sandbox:
        try:
            if supabase is not None:
                supabase.start()
            if statsig is not None:
                statsig.start()
            # Each URL on its own line number, whatever else is served: a reader takes line N.
            for url in (
                sandbox.url,
                supabase.url if supabase else "",
                statsig.url if statsig else "",
                sandbox.edge_url,
            ):
                print(url, flush=True)
            print(
                f"sandbox: Railway project {seed.project_id} (base environment "
                f"{seed.base_environment_id}, services {', '.join(seed.service_ids) or 'none'}); "
                f"stops after {args.lifetime:g}s or on SIGTERM/SIGINT",
                file=sys.stderr,
                flush=True,
            )
            print(
                f"sandbox: Railway edge at {sandbox.edge_url} (send a service domain as Host; "
                f"deployments build {args.build_seconds:g}s, deploy {args.deploy_seconds:g}s)",
                file=sys.stderr,
                flush=True,
            )
            if supabase is not None:
                orgs = ", ".join(org["slug"] for org in supabase.organizations()) or "none"
                print(
                    f"sandbox: Supabase Management API at {supabase.url} (organizations: {orgs}; "
                    f"new projects and branches are ACTIVE_HEALTHY after {supabase.healthy_after:g}s)",
                    file=sys.stderr,
                    flush=True,
                )
            if statsig is not None:
                print(
                    f"sandbox: Statsig Console API at {statsig.url} (keys: {len(statsig.keys)}; "
                    f"gates under /console/v1/gates)",
                    file=sys.stderr,
                    flush=True,
                )
            while (
                not stop_requested.is_set()
                and not sandbox.wait(_POLL_SECONDS)
                and (supabase is None or supabase.running)
                and (statsig is None or statsig.running)
            ):
                pass
        finally:
            if supabase is not None:
                supabase.stop()
            if statsig is not None:
                statsig.stop()
    return 0


def _seconds(text: str) -> float:
    seconds = float(text)
    if seconds < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 seconds, got {text}")
    return seconds


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.split("\n")[0])
    commands = root.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser(
        "serve", help="serve the Railway sandbox and its edge (and Supabase, Statsig) seeded from a stack file"
    )
    serve_cmd.add_argument("--stack-file", required=True, help="Pulumi stack file with stagefleet:railway")
    serve_cmd.add_argument("--port", type=int, default=8787, help="port on 127.0.0.1 (0 = any free port)")
    serve_cmd.add_argument(
        "--token",
        action="append",
        default=None,
        help="accepted Bearer token (repeatable; default sandbox-token)",
    )
    serve_cmd.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME, help="seconds before stopping by itself")
    serve_cmd.add_argument(
        "--edge-port",
        type=int,
        default=None,
        help="Railway edge port on 127.0.0.1 (default: --port + 3; any free port when --port is 0)",
    )
    serve_cmd.add_argument(
        "--build-seconds",
        type=_seconds,
        default=DEFAULT_BUILD_SECONDS,
        help="seconds a Railway deployment spends BUILDING",
    )
    serve_cmd.add_argument(
        "--deploy-seconds",
        type=_seconds,
        default=DEFAULT_DEPLOY_SECONDS,
        help="seconds a Railway deployment spends DEPLOYING before SUCCESS",
    )
    serve_cmd.add_argument(
        "--supabase",
        action="store_true",
        help=f"also serve the Supabase emulator (implied by a {SUPABASE_KEY} block in the stack file)",
    )
    serve_cmd.add_argument(
        "--supabase-port",
        type=int,
        default=None,
        help="Supabase emulator port on 127.0.0.1 (default: --port + 1; any free port when --port is 0)",
    )
    serve_cmd.add_argument(
        "--supabase-token",
        action="append",
        default=None,
        help="accepted Supabase Bearer token (repeatable; default: the --token values)",
    )
    serve_cmd.add_argument(
        "--supabase-organization",
        default=None,
        help=f"organization slug to seed when the stack file has no {SUPABASE_KEY} block",
    )
    serve_cmd.add_argument(
        "--supabase-healthy-after",
        type=float,
        default=DEFAULT_HEALTHY_AFTER,
        help="seconds until a new Supabase project or branch is ACTIVE_HEALTHY",
    )
    serve_cmd.add_argument(
        "--statsig",
        action="store_true",
        help=f"also serve the Statsig emulator (implied by {FEATURE_FLAGS_KEY} in the stack file)",
    )
    serve_cmd.add_argument(
        "--statsig-port",
        type=int,
        default=None,
        help="Statsig emulator port on 127.0.0.1 (default: --port + 2; any free port when --port is 0)",
    )
    serve_cmd.add_argument(
        "--statsig-key",
        action="append",
        default=None,
        help="accepted STATSIG-API-KEY (repeatable; default: the --token values)",
    )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.token = args.token or ["sandbox-token"]
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
