"""The `fleet orphans` example in docs/operating.md is the command's real output, for a fleet
seeded in the sandboxes as the docs describe it: stacks staging and pr-15, and what escaped them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from tests.orphans.support import (
    DAY,
    ENVIRONMENT,
    HOUR,
    NOW,
    NOW_ARG,
    PREFIX,
    PROJECT_ID,
    REPO,
    STACK_FILE,
    Fleet,
    Owned,
    run_process,
)

DOC = REPO / "docs" / "operating.md"


def seed_readme_fleet(fleet: Fleet) -> list[Path]:
    """The documented fleet; returns the arguments' state files and writes open-prs.json."""
    railway, supabase = fleet.railway, fleet.supabase

    def environment(name: str, environment_id: str, age, owner: str | None = None) -> None:
        railway.seed_environment(PROJECT_ID, name, environment_id=environment_id, created_at=NOW - age)
        if owner:
            fleet.own(owner, Owned(ENVIRONMENT, environment_id, name, {"project_id": PROJECT_ID}))

    environment("staging-main", "5e0c9b7a-2f41-4d83-b6a5-1c9e8d7f6a24", 60 * DAY, "staging")
    environment("staging-dev1-alice", "a2d4f6b8-1c3e-4a5b-9d7f-0e2c4a6b8d13", 45 * DAY, "staging")
    environment("pr-15", "c7e1a3b5-9d2f-4c6e-8a0b-3d5f7a9c1e46", 2 * DAY, "pr-15")
    environment("pr-14", "b3f1a7c2-5d84-4e19-9a06-7c2e4f8d1b35", 9 * DAY)  # its stack was removed
    environment("staging-dev9-zoe", "e8d24c61-0f3a-4b7e-8c95-2a61d7f0c4e8", 12 * DAY)  # made by hand
    environment("pr-17", "f0b2d4e6-8a1c-4e3b-a5d7-9c0e2f4a6b89", 3 * HOUR)  # being created right now
    environment("production", "0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a", 400 * DAY)  # not ours

    main = fleet.project(f"{PREFIX}-staging-main", "k", 60 * DAY, owner="staging", size="small")
    supabase.seed_project(
        f"{PREFIX}-staging-dev1-alice",
        "gatewayz",
        ref="hwdpxqzlmnbvcrtykjse",
        instance_size="micro",
        created_at=NOW - 45 * DAY - dt.timedelta(minutes=3),
    )
    fleet.own(
        "staging",
        Owned("pulumi-python:dynamic/supabase:Project", "hwdpxqzlmnbvcrtykjse", f"{PREFIX}-staging-dev1-alice"),
    )
    # The same create, answered after the client gave up, sent again: a second project.
    supabase.seed_project(
        f"{PREFIX}-staging-dev1-alice",
        "gatewayz",
        ref="vqzmhkwtrnbxlcpyjdfa",
        instance_size="micro",
        created_at=NOW - 45 * DAY,
    )
    fleet.branch(main, f"{PREFIX}-pr-15", 15, 2 * DAY, owner="pr-15")
    # Its stack was removed by hand with `pulumi stack rm --force`: the branch stayed.
    supabase.seed_branch(
        main, f"{PREFIX}-pr-14", branch_id="4c7e9a12-3b5d-4f60-8e21-9d0a6b3c5f78", created_at=NOW - 9 * DAY
    )

    fleet.gate("payments-v2", 20 * DAY, owner="staging")
    fleet.gate("checkout-v3", 40 * DAY)  # its flag was removed and the stack not run since
    fleet.gate("ops-kill-switch", 300 * DAY, marked=False)  # made in the console: not ours

    shutil.copy(STACK_FILE, fleet.directory / STACK_FILE.name)
    (fleet.directory / "open-prs.json").write_text(json.dumps([{"number": 15}, {"number": 17}]), encoding="utf-8")
    return fleet.states()


def test_the_documented_orphans_example_is_the_real_output(fleet):
    states = seed_readme_fleet(fleet)
    arguments = [
        "orphans",
        "--stack",
        "staging",
        *NOW_ARG,
        "--format",
        "table",
        "--state",
        *(path.name for path in states),
        "--open-prs",
        "open-prs.json",
    ]

    result = run_process(arguments, fleet.environ(), cwd=fleet.directory)

    assert (result.exit_code, result.stderr) == (1, "")
    assert f"```\n{result.stdout}```\n" in DOC.read_text(encoding="utf-8"), result.stdout
