"""The duplicate the late-answer window cannot prevent: a create the server applies only after the
provider's window has passed and the create was sent again. The next `python -m fleet orphans` (the
janitor runs it daily) reports it, naming the stack that owns the other one."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest

from providers import http
from providers.supabase.project import ProjectProvider
from tests.orphans.support import NOW_ARG, ORGANIZATION, PREFIX, PROJECT, Fleet, Owned, run_in_process

ALICE = f"{PREFIX}-staging-dev1-alice"
# The client gives up after GIVE_UP and looks for what it made for GRACE more; the server applies
# the first create only at APPLIED_AT, long after the second was sent and answered.
GIVE_UP = 0.3
GRACE = 0.1
APPLIED_AT = 1.5
SETTLE = 10.0


@pytest.fixture
def window_too_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "READ_TIMEOUT", GIVE_UP)
    monkeypatch.setattr(http, "DEFAULT_RETRY_POLICY", replace(http.DEFAULT_RETRY_POLICY, late_answer_grace=GRACE))


@pytest.mark.usefixtures("window_too_short")
def test_a_project_applied_after_the_window_is_reported_as_a_duplicate_of_the_owned_one(credentials: Fleet) -> None:
    credentials.supabase.faults.add("POST /v1/projects", "apply_late", delay=APPLIED_AT)
    provider = ProjectProvider()
    props = {"name": ALICE, "organization_slug": ORGANIZATION, "db_pass": "late-duplicate-pass-7d1e"}
    created = provider.create(provider.check({}, props).inputs)
    assert credentials.supabase.settle(SETTLE)
    [late] = [p["ref"] for p in credentials.supabase.projects() if p["name"] == ALICE and p["ref"] != created.id]
    credentials.own("staging", Owned(PROJECT, created.id, ALICE, {"organization_slug": ORGANIZATION}))
    # Ages count from two days on: both projects are past the grace period of --min-age.
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    arguments = [later if argument == NOW_ARG[1] else argument for argument in credentials.arguments()]

    result = run_in_process([*arguments, "--format", "json"])

    assert result.exit_code == 1, result.stderr
    [orphan] = json.loads(result.stdout)["orphans"]
    assert (orphan["vendor"], orphan["name"], orphan["id"]) == ("Supabase", ALICE, late)
    assert orphan["why"] == f"a stack has another id for that name (staging owns {created.id})"
