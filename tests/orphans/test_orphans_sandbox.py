"""`python -m fleet orphans` against the Railway, Supabase and Statsig sandboxes: what it finds and
why, what it never reports, what --delete deletes (and refuses to), vendors without credentials,
and an API that fails. Run in-process through fleet.cli.main, the environment the test's."""

from __future__ import annotations

import json

import pytest

from tests.orphans.support import (
    BRANCH,
    DAY,
    HOUR,
    PREFIX,
    REPO,
    Fleet,
    Owned,
    run_in_process,
    uuid,
)

MAIN = f"{PREFIX}-staging-main"
ALICE = f"{PREFIX}-staging-dev1-alice"


def seed(fleet: Fleet) -> dict[str, str]:
    """A fleet with stacks staging and pr-15 and what escaped them; returns the orphans' ids by
    name. Everything is named as stagefleet names it unless said otherwise."""
    ids: dict[str, str] = {}
    # What the stacks own.
    fleet.environment("staging-main", 1, 60 * DAY, owner="staging")
    fleet.environment("staging-dev1-alice", 2, 60 * DAY, owner="staging")
    main = fleet.project(MAIN, "a", 60 * DAY, owner="staging", size="small")
    fleet.project(ALICE, "b", 60 * DAY, owner="staging")
    fleet.branch(main, f"{PREFIX}-staging-dev3-charlie", 20, 60 * DAY, owner="staging")
    fleet.gate("payments-v2", 60 * DAY, owner="staging")
    fleet.environment("pr-15", 3, 2 * DAY, owner="pr-15")
    fleet.branch(main, f"{PREFIX}-pr-15", 21, 2 * DAY, owner="pr-15")
    # What escaped them.
    ids["staging-dev9-zoe"] = fleet.environment("staging-dev9-zoe", 4, 10 * DAY)  # made by hand
    ids["pr-14"] = fleet.environment("pr-14", 5, 9 * DAY)  # its stack is gone
    ids["duplicate"] = fleet.project(ALICE, "c", 3 * DAY)  # a create answered late, sent twice
    ids[f"{PREFIX}-pr-14"] = fleet.branch(main, f"{PREFIX}-pr-14", 22, 9 * DAY)  # its stack is gone
    ids["checkout-v3"] = fleet.gate("checkout-v3", 40 * DAY)  # flag removed, stack not run since
    ids["pr-17"] = fleet.environment("pr-17", 6, 2 * HOUR)  # a review stack being created right now
    # Not ours, however old.
    fleet.environment("production", 7, 300 * DAY)
    fleet.environment("my-app", 8, 300 * DAY)
    other = fleet.project("my-app", "d", 300 * DAY)
    fleet.project(f"{PREFIX}-production", "e", 300 * DAY)
    fleet.branch(other, f"{PREFIX}-pr-3", 23, 300 * DAY)  # a branch of a project no stack owns
    fleet.gate("by-hand", 300 * DAY, marked=False)
    fleet.statsig.seed_gate("old-flag", description="Old [managed by stagefleet]", archived=True)
    return ids


def findings(result) -> list[tuple[str, str, str]]:
    return [(o["vendor"], o["name"], o["why"]) for o in json.loads(result.stdout)["orphans"]]


def test_it_finds_what_escaped_the_stacks_and_says_why(credentials):
    ids = seed(credentials)

    result = run_in_process(credentials.arguments("--format", "json"))

    assert result.exit_code == 1, result.stderr
    assert findings(result) == [
        ("Railway", "pr-14", "review stack of a closed pull request (#14; stack pr-14 is gone)"),
        ("Railway", "staging-dev9-zoe", "no stack owns it"),
        ("Supabase", ALICE, "a stack has another id for that name (staging owns bbbbbbbbbbbbbbbbbbbb)"),
        ("Supabase", f"{PREFIX}-pr-14", "review stack of a closed pull request (#14; stack pr-14 is gone)"),
        ("Statsig", "checkout-v3", "no stack owns it"),
    ]
    document = json.loads(result.stdout)
    assert [o["id"] for o in document["orphans"]] == [
        ids["pr-14"],
        ids["staging-dev9-zoe"],
        ids["duplicate"],
        ids[f"{PREFIX}-pr-14"],
        ids["checkout-v3"],
    ]
    assert [o["monthlyUsd"] for o in document["orphans"]] == [20.0, 20.0, 10.0, 9.73, 0.0]
    assert [(o["name"], o["ageSeconds"]) for o in document["recent"]] == [("pr-17", 7200)]
    assert document["stacks"] == ["pr-15", "staging"]
    assert result.stderr == ""


def test_it_never_reports_what_a_stack_owns_nor_a_name_outside_our_conventions(credentials):
    seed(credentials)

    result = run_in_process(credentials.arguments("--format", "json"))

    document = json.loads(result.stdout)
    reported = {o["name"] for o in document["orphans"] + document["recent"]}
    owned = {
        "staging-main",
        "staging-dev1-alice",
        MAIN,
        f"{PREFIX}-staging-dev3-charlie",
        "payments-v2",
        "pr-15",
        f"{PREFIX}-pr-15",
    }
    not_ours = {
        "production",
        "my-app",
        "staging-template",
        f"{PREFIX}-production",
        f"{PREFIX}-pr-3",
        "by-hand",
        "old-flag",
        "main",
    }
    assert reported & owned == set() and reported & not_ours == set()
    duplicate = next(o for o in document["orphans"] if o["name"] == ALICE)
    assert duplicate["id"] == "c" * 20  # the owned one, bbbb..., is not reported


def test_a_fleet_that_owns_everything_it_has_exits_0(credentials):
    credentials.environment("staging-main", 1, 60 * DAY, owner="staging")
    credentials.project(MAIN, "a", 60 * DAY, owner="staging")
    credentials.gate("payments-v2", 60 * DAY, owner="staging")
    credentials.environment("production", 7, 300 * DAY)

    result = run_in_process(credentials.arguments("--format", "table"))

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "No orphans.\n"
        "Checked Railway project gatewayz, Supabase organization gatewayz and Statsig gates against 1 stack: staging.\n"
    )


def test_with_the_open_pull_requests_a_closed_ones_stack_objects_are_orphans(credentials, tmp_path):
    seed(credentials)
    credentials.environment("pr-16", 9, 5 * DAY)
    credentials.stack("pr-16")  # its stack exists, but owns nothing live: the env escaped it
    open_prs = tmp_path / "open-prs.json"
    open_prs.write_text(json.dumps([{"number": 15}, {"number": 17}]), encoding="utf-8")

    result = run_in_process(credentials.arguments("--format", "json", "--open-prs", str(open_prs)))

    assert ("Railway", "pr-16", "review stack of a closed pull request (#16)") in findings(result)
    without = run_in_process(credentials.arguments("--format", "json"))
    assert ("Railway", "pr-16", "no stack owns it") in findings(without)


def test_a_branch_is_looked_for_only_in_the_projects_the_stacks_own_and_never_the_default_one(credentials):
    main = credentials.project(MAIN, "a", 60 * DAY, owner="staging")
    credentials.branch(main, f"{PREFIX}-pr-14", 22, 9 * DAY)
    lonely = credentials.project(f"{PREFIX}-staging-gone", "f", 60 * DAY)
    credentials.branch(lonely, f"{PREFIX}-pr-13", 24, 9 * DAY)

    result = run_in_process(credentials.arguments("--format", "json"))

    assert [name for _, name, _ in findings(result)] == [f"{PREFIX}-staging-gone", f"{PREFIX}-pr-14"]
    assert credentials.supabase.journal_count("GET /v1/projects/{ref}/branches") == 1


def test_the_grace_period_is_min_age(credentials):
    seed(credentials)

    result = run_in_process(credentials.arguments("--format", "json", "--min-age", "1h"))

    document = json.loads(result.stdout)
    assert "pr-17" in {o["name"] for o in document["orphans"]} and document["recent"] == []
    assert document["minAgeSeconds"] == 3600


# --- deleting ------------------------------------------------------------------------------------


def writes(fleet: Fleet) -> int:
    return (
        fleet.railway.journal_count(mutations_only=True)
        + fleet.supabase.journal_count(writes_only=True)
        + fleet.statsig.journal_count(writes_only=True)
    )


def test_delete_without_confirmation_prints_the_plan_refuses_and_deletes_nothing(credentials):
    seed(credentials)
    before = credentials.live_names()

    result = run_in_process(credentials.arguments("--delete", "--format", "table"))

    assert result.exit_code == 2
    assert "5 orphans, an estimated $59.73 a month" in result.stdout and "pr-14" in result.stdout
    assert result.stderr == (
        'error: nothing deleted: --delete deletes only with --yes, or after "yes" is typed at a terminal\n'
    )
    assert credentials.live_names() == before and writes(credentials) == 0


def test_delete_asks_at_a_terminal_and_anything_but_yes_deletes_nothing(credentials):
    seed(credentials)
    before = credentials.live_names()

    result = run_in_process(credentials.arguments("--delete", "--format", "table"), stdin="y\n", tty=True)

    assert result.exit_code == 2
    assert result.stderr.startswith('Delete these 5 orphans? Type "yes" to delete: error: nothing deleted')
    assert credentials.live_names() == before and writes(credentials) == 0


def test_yes_typed_at_a_terminal_deletes(credentials):
    seed(credentials)

    result = run_in_process(credentials.arguments("--delete", "--format", "table"), stdin="yes\n", tty=True)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("5 orphans deleted.\n")


def test_delete_yes_deletes_exactly_the_orphans_past_the_grace_period_and_nothing_else(credentials):
    ids = seed(credentials)
    before = credentials.live_names()

    result = run_in_process(credentials.arguments("--delete", "--yes", "--format", "table"))

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith(
        "\n"
        f"deleted: Railway environment pr-14 ({ids['pr-14']})\n"
        f"deleted: Railway environment staging-dev9-zoe ({ids['staging-dev9-zoe']})\n"
        f"deleted: Supabase project {ALICE} ({ids['duplicate']})\n"
        f"deleted: Supabase branch {PREFIX}-pr-14 ({ids[f'{PREFIX}-pr-14']})\n"
        f"deleted: Statsig gate checkout-v3 ({ids['checkout-v3']})\n"
        "5 orphans deleted.\n"
    )
    assert credentials.live_names() == {
        "railway": _without(before["railway"], "pr-14", "staging-dev9-zoe"),
        "supabase": _without(before["supabase"], ALICE),  # the duplicate; the owned one stays
        "branches": _without(before["branches"], f"{PREFIX}-pr-14"),
        "statsig": _without(before["statsig"], "checkout-v3"),
    }
    assert [p["ref"] for p in credentials.supabase.projects() if p["name"] == ALICE] == ["b" * 20]
    # One delete each, through the calls the providers use.
    assert credentials.railway.journal_count("environmentDelete") == 2
    assert credentials.supabase.journal_count("DELETE /v1/projects/{ref}") == 1
    assert credentials.supabase.journal_count("DELETE /v1/branches/{branch_id_or_ref}") == 1
    assert credentials.statsig.journal_count("DELETE /console/v1/gates/{id}") == 1
    assert writes(credentials) == 5
    # What is left is what stacks own, what is not ours, and what is too young.
    again = run_in_process(credentials.arguments("--format", "json"))
    assert again.exit_code == 0 and json.loads(again.stdout)["orphans"] == []
    assert [o["name"] for o in json.loads(again.stdout)["recent"]] == ["pr-17"]


def _without(names: list[str], *gone: str) -> list[str]:
    """`names` less one of each of `gone`."""
    left = list(names)
    for name in gone:
        left.remove(name)
    return left


def test_a_deletion_that_fails_is_reported_and_the_others_still_happen(credentials):
    ids = seed(credentials)
    credentials.supabase.faults.add("DELETE /v1/branches/{branch_id_or_ref}", "500", times=50)

    result = run_in_process(credentials.arguments("--delete", "--yes", "--format", "table"))

    assert result.exit_code == 1
    assert f"failed: Supabase branch {PREFIX}-pr-14 ({ids[f'{PREFIX}-pr-14']}): " in result.stdout
    assert result.stdout.endswith("4 of 5 orphans deleted; 1 failed.\n")
    assert result.stderr.startswith("error: 1 of 5 orphans could not be deleted:\n")
    assert f"{PREFIX}-pr-14" in credentials.live_names()["branches"]
    assert "checkout-v3" not in credentials.live_names()["statsig"]


def test_an_orphan_deleted_by_someone_else_meanwhile_is_already_gone_not_a_failure(credentials, monkeypatch):
    ids = seed(credentials)
    from fleet import orphan_sweep

    real = orphan_sweep.StatsigVendor.delete

    def deleted_first(self, client, live):
        credentials.statsig.delete_gate(live.id)
        return real(self, client, live)

    monkeypatch.setattr(orphan_sweep.StatsigVendor, "delete", deleted_first)

    result = run_in_process(credentials.arguments("--delete", "--yes", "--format", "table"))

    assert result.exit_code == 0
    assert f"already gone: Statsig gate checkout-v3 ({ids['checkout-v3']})" in result.stdout


def test_delete_with_nothing_old_enough_deletes_nothing_and_exits_0(credentials):
    credentials.stack("staging")
    credentials.environment("pr-17", 6, 2 * HOUR)

    result = run_in_process(credentials.arguments("--delete", "--yes", "--format", "table"))

    assert result.exit_code == 0
    assert result.stdout.endswith("Nothing to delete.\n")
    assert writes(credentials) == 0


def test_delete_in_json_prints_one_document_with_what_was_deleted(credentials):
    seed(credentials)

    result = run_in_process(credentials.arguments("--delete", "--yes", "--format", "json"))

    document = json.loads(result.stdout)
    assert len(document["deleted"]) == 5 and document["failed"] == []


# --- vendors without credentials, and APIs that fail ---------------------------------------------


def test_a_vendor_without_credentials_is_skipped_with_a_notice(fleet, monkeypatch):
    seed(fleet)
    for name, value in fleet.environ(supabase=False, statsig=False).items():
        monkeypatch.setenv(name, value)

    result = run_in_process(fleet.arguments("--format", "json"))

    assert result.exit_code == 1
    assert result.stderr == (
        "notice: Supabase skipped: SUPABASE_ACCESS_TOKEN is not set\n"
        "notice: Statsig skipped: STATSIG_CONSOLE_API_KEY is not set\n"
    )
    assert {vendor for vendor, _, _ in findings(result)} == {"Railway"}
    assert fleet.supabase.journal_count() == 0 and fleet.statsig.journal_count() == 0
    assert json.loads(result.stdout)["skipped"] == [
        {"vendor": "Supabase", "reason": "SUPABASE_ACCESS_TOKEN is not set"},
        {"vendor": "Statsig", "reason": "STATSIG_CONSOLE_API_KEY is not set"},
    ]


def test_with_no_credentials_at_all_nothing_is_checked_and_nothing_found(fleet):
    seed(fleet)

    result = run_in_process(fleet.arguments("--format", "table"))

    assert result.exit_code == 0
    assert result.stdout == (
        "No orphans.\n"
        "Checked nothing against 2 stacks: pr-15, staging. Not checked: Railway (RAILWAY_API_TOKEN is not set); "
        "Supabase (SUPABASE_ACCESS_TOKEN is not set); Statsig (STATSIG_CONSOLE_API_KEY is not set).\n"
    )
    assert result.stderr.count("notice: ") == 3


def test_an_api_that_fails_is_an_error_the_others_are_still_reported_and_the_exit_is_2(credentials, monkeypatch):
    seed(credentials)
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "sb-orphans-wrong-token-0c4d")

    result = run_in_process(credentials.arguments("--format", "json"))

    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: Supabase could not be checked: Supabase projects of organization gatewayz could not be listed: "
        "HTTP 401 Unauthorized; Supabase rejected the access token"
    )
    assert "sb-orphans-wrong-token-0c4d" not in result.stdout + result.stderr
    assert {vendor for vendor, _, _ in findings(result)} == {"Railway", "Statsig"}
    assert json.loads(result.stdout)["skipped"] == [{"vendor": "Supabase", "reason": "its API failed"}]


def test_owned_branches_are_read_from_the_stacks_states(credentials):
    """A branch is owned through its stack's export, whatever its name says."""
    main = credentials.project(MAIN, "a", 60 * DAY, owner="staging")
    branch_id = credentials.supabase.seed_branch(main, f"{PREFIX}-pr-40", branch_id=uuid(40))
    credentials.own("pr-40", Owned(BRANCH, branch_id, f"{PREFIX}-pr-40", {"parent_ref": main}))

    result = run_in_process(credentials.arguments("--format", "json", "--min-age", "0s"))

    assert json.loads(result.stdout)["orphans"] == [] and result.exit_code == 0


# --- usage errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--yes",), "error: --yes confirms --delete: without --delete nothing is deleted\n"),
        (("--min-age", "a day"), "not a duration such as 24h, 7d or 1d12h: 'a day'"),
        (("--format", "csv"), "invalid choice: 'csv'"),
    ],
)
def test_usage_errors_exit_2_and_list_nothing(credentials, extra, message):
    seed(credentials)

    result = run_in_process(credentials.arguments(*extra))

    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr
    assert credentials.railway.journal_count() == 0


def test_a_state_file_that_is_not_an_export_is_a_usage_error(credentials, tmp_path):
    bad = tmp_path / "stacks.json"
    bad.write_text(json.dumps([{"name": "staging"}]), encoding="utf-8")

    result = run_in_process(credentials.arguments(states=[bad]))

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error: {bad}: expected the JSON object `pulumi stack export` prints, got a list\n")


def test_a_review_stack_is_not_the_fleet_stack_orphans_works_on(credentials):
    result = run_in_process(["orphans", "--stack", "pr", "--file", str(REPO / "Pulumi.pr.yaml")])

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "error: pr is a review stack; orphans works on the fleet stack (e.g. staging)\n"


def test_a_stack_file_that_is_invalid_is_a_usage_error_not_orphans_found(credentials, tmp_path):
    broken = tmp_path / "Pulumi.staging.yaml"
    broken.write_text("config:\n  stagefleet:railway: {projectId: p}\n", encoding="utf-8")

    result = run_in_process(["orphans", "--stack", "staging", "--file", str(broken)])

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("error: stack staging is invalid:")


def test_without_state_files_or_the_pulumi_cli_it_is_a_usage_error_and_nothing_is_listed(credentials, monkeypatch):
    monkeypatch.setenv("PATH", str(credentials.directory))

    result = run_in_process(["orphans", "--stack", "staging", "--file", str(REPO / "Pulumi.staging.yaml")])

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("error: the pulumi CLI is not on PATH: pass --state FILE for every stack")
    assert credentials.railway.journal_count() == 0
