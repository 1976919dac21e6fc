"""What `fleet orphans` prints, in each format, exactly: from a report built by hand (no API)."""

from __future__ import annotations

import datetime as dt
import json

from fleet.orphans import (
    Deletion,
    OrphanReport,
    OwnedResource,
    render_deletions,
    render_json,
    render_markdown,
    render_table,
)
from tests.orphans.support import DAY, HOUR, PREFIX
from tests.orphans.test_decisions import branch, decide, environment, gate, owners, project

OWNED = owners(
    OwnedResource("staging", "supabase-project", "bbbbbbbbbbbbbbbbbbbb", f"{PREFIX}-staging-dev1-alice"),
    stacks=("staging", "pr-15"),
)
OLD, RECENT = decide(
    [
        environment("pr-14", "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", 9 * DAY),
        project(f"{PREFIX}-staging-dev1-alice", "cccccccccccccccccccc", 3 * DAY),
        branch(f"{PREFIX}-pr-14", "b7a1c9e2-0d4f-4a6b-8c2e-3f5a7b9d1e20", 9 * DAY),
        gate("checkout-v3", age=40 * DAY),
        environment("pr-17", "e17", 2 * HOUR),
    ],
    OWNED,
)
CHECKED = ["Railway project gatewayz", "Supabase organization gatewayz"]
SKIPPED = [("Statsig", "STATSIG_CONSOLE_API_KEY is not set")]
REPORT = OrphanReport("staging", OLD, RECENT, dt.timedelta(hours=24), CHECKED, SKIPPED, ["pr-15", "staging"])
NOTHING = OrphanReport("staging", [], [], dt.timedelta(hours=24), [*CHECKED, "Statsig gates"], [], ["staging"])


def test_the_table_lists_each_orphan_with_why_and_cost_then_the_total_and_what_was_checked():
    assert render_table(REPORT) == (
        "vendor    object       name                         id                                    age  monthly  why\n"
        "--------  -----------  ---------------------------  ------------------------------------  ---  -------  "
        "------------------------------------------------------------------------\n"
        "Railway   environment  pr-14                        6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f   9d   $20.00  "
        "review stack of a closed pull request (#14; stack pr-14 is gone)\n"
        "Supabase  project      gatewayz-staging-dev1-alice  cccccccccccccccccccc                   3d   $10.00  "
        "a stack has another id for that name (staging owns bbbbbbbbbbbbbbbbbbbb)\n"
        "Supabase  branch       gatewayz-pr-14               b7a1c9e2-0d4f-4a6b-8c2e-3f5a7b9d1e20   9d    $9.73  "
        "review stack of a closed pull request (#14; stack pr-14 is gone)\n"
        "Statsig   gate         checkout-v3                  checkout-v3                           40d    $0.00  "
        "no stack owns it\n"
        "--------  -----------  ---------------------------  ------------------------------------  ---  -------  "
        "------------------------------------------------------------------------\n"
        "total                                                                                           $39.73\n"
        "\n"
        "4 orphans, an estimated $39.73 a month: `python -m fleet orphans --stack staging --delete` deletes them.\n"
        "Younger than 24h, not counted and never deleted (a stack being created may own it): "
        "Railway environment pr-17 (2h old).\n"
        "Checked Railway project gatewayz and Supabase organization gatewayz against 2 stacks: pr-15, staging. "
        "Not checked: Statsig (STATSIG_CONSOLE_API_KEY is not set).\n"
    )


def test_the_markdown_is_the_same_table_and_paragraphs():
    assert render_markdown(REPORT) == (
        "| vendor | object | name | id | age | monthly | why |\n"
        "| --- | --- | --- | --- | ---: | ---: | --- |\n"
        "| Railway | environment | pr-14 | 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f | 9d | $20.00 | "
        "review stack of a closed pull request (#14; stack pr-14 is gone) |\n"
        "| Supabase | project | gatewayz-staging-dev1-alice | cccccccccccccccccccc | 3d | $10.00 | "
        "a stack has another id for that name (staging owns bbbbbbbbbbbbbbbbbbbb) |\n"
        "| Supabase | branch | gatewayz-pr-14 | b7a1c9e2-0d4f-4a6b-8c2e-3f5a7b9d1e20 | 9d | $9.73 | "
        "review stack of a closed pull request (#14; stack pr-14 is gone) |\n"
        "| Statsig | gate | checkout-v3 | checkout-v3 | 40d | $0.00 | no stack owns it |\n"
        "| total |  |  |  |  | $39.73 |  |\n"
        "\n"
        "4 orphans, an estimated $39.73 a month: `python -m fleet orphans --stack staging --delete` deletes them.\n"
        "\n"
        "Younger than 24h, not counted and never deleted (a stack being created may own it): "
        "Railway environment pr-17 (2h old).\n"
        "\n"
        "Checked Railway project gatewayz and Supabase organization gatewayz against 2 stacks: pr-15, staging. "
        "Not checked: Statsig (STATSIG_CONSOLE_API_KEY is not set).\n"
    )


def test_the_json_has_every_field_of_every_orphan():
    document = json.loads(render_json(REPORT))

    assert {key: value for key, value in document.items() if key not in ("orphans", "recent")} == {
        "stack": "staging",
        "minAgeSeconds": 86400,
        "checked": CHECKED,
        "skipped": [{"vendor": "Statsig", "reason": "STATSIG_CONSOLE_API_KEY is not set"}],
        "stacks": ["pr-15", "staging"],
        "totalMonthlyUsd": 39.73,
    }
    assert document["orphans"][2] == {
        "vendor": "Supabase",
        "kind": "branch",
        "id": "b7a1c9e2-0d4f-4a6b-8c2e-3f5a7b9d1e20",
        "name": "gatewayz-pr-14",
        "parent": "ref-main",
        "createdAt": "2027-01-06T12:00:00Z",
        "ageSeconds": 777600,
        "reason": "closed-pull-request",
        "why": "review stack of a closed pull request (#14; stack pr-14 is gone)",
        "pullRequest": 14,
        "monthlyUsd": 9.73,
    }
    assert [(o["name"], o["reason"]) for o in document["orphans"]] == [
        ("pr-14", "closed-pull-request"),
        ("gatewayz-staging-dev1-alice", "duplicate"),
        ("gatewayz-pr-14", "closed-pull-request"),
        ("checkout-v3", "unowned"),
    ]
    assert [(o["name"], o["ageSeconds"]) for o in document["recent"]] == [("pr-17", 7200)]
    assert "deleted" not in document


def test_with_nothing_found_each_format_says_so_and_what_was_checked():
    checked = (
        "Checked Railway project gatewayz, Supabase organization gatewayz and Statsig gates against 1 stack: staging."
    )
    assert render_table(NOTHING) == f"No orphans.\n{checked}\n"
    assert render_markdown(NOTHING) == f"No orphans.\n\n{checked}\n"
    assert json.loads(render_json(NOTHING))["orphans"] == []


def test_one_orphan_and_one_of_unknown_size_are_said_so():
    [finding] = decide([project(f"{PREFIX}-staging-x", "ref-x", 3 * DAY, size=None)])[0]
    report = OrphanReport("staging", [finding], [], dt.timedelta(days=7), ["Supabase organization gatewayz"])

    lines = render_table(report).splitlines()

    assert lines[2] == ("Supabase  project  gatewayz-staging-x  ref-x   3d        —  no stack owns it")
    assert lines[-2] == (
        "1 orphan, an estimated $0.00 a month (and 1 object of unknown size): "
        "`python -m fleet orphans --stack staging --delete` deletes it."
    )
    assert lines[-1] == "Checked Supabase organization gatewayz against 0 stacks: none."


FAILED = "Supabase branch b7a1 could not be deleted: HTTP 500 (Supabase DELETE /v1/branches/{id})"


def test_what_delete_did_is_one_line_per_orphan_and_a_count():
    deletions = [
        Deletion(OLD[0]),
        Deletion(OLD[1], existed=False),
        Deletion(OLD[2], error=FAILED),
    ]

    assert render_deletions(deletions) == (
        "deleted: Railway environment pr-14 (6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f)\n"
        "already gone: Supabase project gatewayz-staging-dev1-alice (cccccccccccccccccccc)\n"
        "failed: Supabase branch gatewayz-pr-14 (b7a1c9e2-0d4f-4a6b-8c2e-3f5a7b9d1e20): "
        "Supabase branch b7a1 could not be deleted: HTTP 500 (Supabase DELETE /v1/branches/{id})\n"
        "2 of 3 orphans deleted; 1 failed.\n"
    )
    assert render_deletions(deletions[:1]) == (
        "deleted: Railway environment pr-14 (6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f)\n1 orphan deleted.\n"
    )
    document = json.loads(render_json(REPORT, deletions))
    assert [d["name"] for d in document["deleted"]] == ["pr-14", "gatewayz-staging-dev1-alice"]
    assert document["deleted"][1]["alreadyGone"] is True
    assert document["failed"][0]["error"].startswith("Supabase branch b7a1 could not be deleted")


def test_a_name_that_could_garble_a_log_is_quoted_where_it_is_said_in_a_sentence():
    [finding] = decide([gate("odd\x1b[31mname")])[0]

    assert render_deletions([Deletion(finding)]).splitlines()[0] == (
        'deleted: Statsig gate "odd\\u001b[31mname" (odd\x1b[31mname)'
    )
