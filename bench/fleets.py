"""What the benchmarks share: a generated fleet config, both sandboxes seeded for it, a configured
provider host, and the journals turned into figures.

The sandboxes and the provider host are the ones the engine tests use (harness/host.py): the real
program, `python -m pulumi.dynamic` over gRPC with its 4 worker threads, both emulators on loopback.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results import envelope
from fleet.stackfile import load_stack_config
from harness import REPO
from harness.host import DynamicProviderHost
from harness.mocks import stack_mapping
from sandbox.railway import RailwaySandbox
from sandbox.server import JournalEntry, PlanLimits
from sandbox.supabase import SupabaseSandbox

RESULTS = REPO / "bench" / "results"
STACK_FILE = "Pulumi.sandbox.yaml"
RAILWAY_TOKEN = "bench-railway-token-5e1f"
SUPABASE_TOKEN = "sbp_bench_token_9a2c"
FLEET_BLOCKS = ("stagefleet:railway", "stagefleet:supabase", "stagefleet:defaults")
# Every server stops by itself after this long, whatever happens to the benchmark.
SANDBOX_LIFETIME = 600.0


def fleet_mapping(count: int, *, stack_file: str = STACK_FILE, strategy: str = "dedicated") -> dict[str, Any]:
    """The stack config of a fleet of `count` developer environments, each with a `strategy`
    database, built from the stack file's railway, supabase and defaults blocks only (no limits,
    feature flags or anything else: the benchmarks are about scale, not policy)."""
    mapping = {key: value for key, value in stack_mapping(stack_file).items() if key in FLEET_BLOCKS}
    environments = [
        {
            "name": f"dev{index:03d}",
            "kind": "developer",
            "owner": f"dev{index:03d}@gatewayz.ai",
            "branch": f"feature/dev{index:03d}",
            "purpose": "Benchmark",
            "expires": "2027-01-31",
            "database": {"strategy": strategy},
        }
        for index in range(1, count + 1)
    ]
    mapping["stagefleet:environments"] = json.dumps(environments)
    return mapping


@dataclass
class Sandboxes:
    railway: RailwaySandbox
    supabase: SupabaseSandbox
    project_id: str
    base_environment_id: str

    @property
    def config(self) -> dict[str, str]:
        return {
            "stagefleet:railwayToken": RAILWAY_TOKEN,
            "stagefleet:railwayApiUrl": self.railway.url,
            "stagefleet:supabaseAccessToken": SUPABASE_TOKEN,
            "stagefleet:supabaseApiUrl": self.supabase.url,
        }

    def clear_journals(self) -> None:
        self.railway.journal_clear()
        self.supabase.journal_clear()

    def set_latency(self, seconds: float) -> None:
        self.railway.latency = seconds
        self.supabase.latency = seconds

    def journal(self) -> list[tuple[str, JournalEntry]]:
        """Both journals, in arrival order, each entry tagged "railway" or "supabase"."""
        entries = [("railway", e) for e in self.railway.journal] + [("supabase", e) for e in self.supabase.journal]
        return sorted(entries, key=lambda item: item[1].at)


@contextlib.contextmanager
def sandboxes(
    *,
    healthy_after: float,
    latency: float = 0.0,
    stack_file: str = STACK_FILE,
    railway_limits: PlanLimits | None = None,
    supabase_limits: PlanLimits | None = None,
) -> Iterator[Sandboxes]:
    """Both emulators, seeded from the stack file (its Railway project, base environment and
    services under their configured ids; its Supabase organization), enforcing the limits given
    (none by default)."""
    config = load_stack_config(REPO / stack_file)
    railway_block = config["stagefleet:railway"]
    supabase_block = config["stagefleet:supabase"]
    with (
        RailwaySandbox(tokens={RAILWAY_TOKEN}, lifetime=SANDBOX_LIFETIME, limits=railway_limits) as railway,
        SupabaseSandbox(
            tokens={SUPABASE_TOKEN}, healthy_after=healthy_after, lifetime=SANDBOX_LIFETIME, limits=supabase_limits
        ) as supabase,
    ):
        seed = railway.seed_project(
            name=railway_block["projectName"],
            project_id=railway_block["projectId"],
            base_environment=railway_block["baseEnvironment"],
            base_environment_id=railway_block["baseEnvironmentId"],
            services=[
                {"name": s["name"], "id": s["id"], "repository": s["repository"]} for s in railway_block["services"]
            ],
        )
        supabase.seed_organization(slug=supabase_block["organizationSlug"], name="Gatewayz bench")
        both = Sandboxes(railway, supabase, seed.project_id, seed.base_environment_id)
        both.set_latency(latency)
        both.clear_journals()
        yield both


@contextlib.contextmanager
def provider_host(boxes: Any, extra_env: Mapping[str, str] | None = None) -> Iterator[DynamicProviderHost]:
    with DynamicProviderHost(extra_env=extra_env) as host:
        host.configure(boxes.config)
        yield host


def request_label(api: str, entry: JournalEntry) -> str:
    """What a request did: the GraphQL root field (Railway) or "<METHOD> <path template>" (Supabase)."""
    if api == "railway":
        return entry.root_fields[0] if entry.root_fields else entry.key
    return entry.key


def is_write(api: str, entry: JournalEntry) -> bool:
    return entry.is_mutation if api == "railway" else entry.method != "GET"


def count_requests(entries: Iterable[tuple[str, JournalEntry]]) -> Counter[str]:
    return Counter(f"{api}: {request_label(api, entry)}" for api, entry in entries)


def write_results(name: str, figures: Mapping[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(envelope(name, figures), indent=2, sort_keys=False) + "\n")
    return path
