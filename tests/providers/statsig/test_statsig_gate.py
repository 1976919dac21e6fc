"""GateProvider against the Statsig sandbox: create, update in place, delete and archive, what a
refresh sees after changes made in the console, and the faults a real API throws (429, lost
answers, a name taken by someone else's gate)."""

from __future__ import annotations

import itertools

import pytest
from pulumi.output import Unknown

from providers.api import Conflict, NotFound
from providers.statsig.client import StatsigClient
from providers.statsig.gate import EMAIL_RULE, MANAGED_MARKER, USER_ID_RULE, GateProvider
from tests.providers.statsig.conftest import EMAIL, KEY, OTHER_EMAIL, Statsig

CREATE = "POST /console/v1/gates"
PATCH = "PATCH /console/v1/gates/{id}"


def email_rule(emails: list[str], environments: list[str] | None = None) -> dict:
    return {
        "name": EMAIL_RULE,
        "passPercentage": 100,
        "conditions": [{"type": "email", "operator": "any", "targetValue": emails}],
        "environments": environments or ["staging"],
    }


def rules_of(gate: dict) -> list[dict]:
    """A gate's rules without the ids Statsig gives them."""
    return [{k: v for k, v in rule.items() if k not in ("id", "baseID")} for rule in gate["rules"]]


# ------------------------------------------------------------ create


def test_create_makes_one_enabled_gate_targeting_the_emails_in_staging(statsig: Statsig) -> None:
    created = statsig.create()
    gate_id = statsig.name.replace(" ", "_")
    assert created.id == gate_id
    assert created.outs == {
        "name": statsig.name,
        "description": "New checkout flow",
        "owner": "alice",
        "emails": [EMAIL],
        "user_ids": [],
        "environments": ["staging"],
        "on_delete": "delete",
        "gate_id": gate_id,
        "created_time": statsig.live(gate_id)["createdTime"],
    }
    [gate] = statsig.named()
    assert (gate["id"], gate["isEnabled"], gate["idType"], gate["status"]) == (gate_id, True, "userID", "In Progress")
    assert gate["description"] == f"New checkout flow (owner: alice) {MANAGED_MARKER}"
    assert rules_of(gate) == [email_rule([EMAIL])]
    assert statsig.writes() == [CREATE]


def test_emails_and_user_ids_get_a_rule_each_so_either_passes(statsig: Statsig) -> None:
    """Statsig ANDs the conditions of one rule: one rule with both would pass nobody."""
    created = statsig.create(user_ids=["user-42", "svc:e2e"], environments=["staging", "development"])
    gate = statsig.live(created.id)
    assert gate is not None
    assert rules_of(gate) == [
        email_rule([EMAIL], ["staging", "development"]),
        {
            "name": USER_ID_RULE,
            "passPercentage": 100,
            "conditions": [{"type": "user_id", "operator": "any", "targetValue": ["user-42", "svc:e2e"]}],
            "environments": ["staging", "development"],
        },
    ]


def test_a_description_without_owner_still_ends_with_the_marker(statsig: Statsig) -> None:
    created = statsig.create(description="", owner=None)
    gate = statsig.live(created.id)
    assert gate is not None and gate["description"] == MANAGED_MARKER
    assert statsig.provider().read(created.id, created.outs).outs == created.outs


# ------------------------------------------------------------ update


def test_update_changes_rules_and_description_in_place(statsig: Statsig) -> None:
    created = statsig.create()
    before = statsig.live(created.id)
    statsig.sandbox.journal_clear()
    news = statsig.inputs(emails=[EMAIL, OTHER_EMAIL], user_ids=["user-7"], description="Checkout, take two")
    provider = statsig.provider()
    diff = provider.diff(created.id, created.outs, news)
    assert diff.changes and diff.replaces == []

    updated = provider.update(created.id, created.outs, news)
    assert updated.outs == {**news, "gate_id": created.id, "created_time": created.outs["created_time"]}
    after = statsig.live(created.id)
    assert after is not None and before is not None
    assert after["description"] == f"Checkout, take two (owner: alice) {MANAGED_MARKER}"
    assert [r["name"] for r in after["rules"]] == [EMAIL_RULE, USER_ID_RULE]
    assert after["rules"][0]["conditions"][0]["targetValue"] == [EMAIL, OTHER_EMAIL]
    # The same gate, its stagefleet rule kept (Statsig keeps a rule's id across edits).
    assert after["createdTime"] == before["createdTime"]
    assert after["rules"][0]["id"] == before["rules"][0]["id"]
    assert list(statsig.writes()) == [PATCH]
    assert provider.read(created.id, updated.outs).outs == updated.outs


def test_update_keeps_rules_added_by_hand_after_stagefleets(statsig: Statsig) -> None:
    created = statsig.create()
    by_hand = {
        "name": "QA team",
        "passPercentage": 100,
        "conditions": [{"type": "email", "operator": "str_contains_any", "targetValue": ["@qa.gatewayz.dev"]}],
        "environments": ["staging"],
    }
    statsig.sandbox.set_rules(created.id, [email_rule([EMAIL]), by_hand])
    provider = statsig.provider()
    # Not stagefleet's rule: not reported, so no drift.
    assert provider.read(created.id, created.outs).outs == created.outs

    provider.update(created.id, created.outs, statsig.inputs(emails=[OTHER_EMAIL]))
    gate = statsig.live(created.id)
    assert gate is not None and rules_of(gate) == [email_rule([OTHER_EMAIL]), by_hand]


def test_a_change_of_on_delete_alone_sends_nothing(statsig: Statsig) -> None:
    created = statsig.create()
    statsig.sandbox.journal_clear()
    news = statsig.inputs(on_delete="archive")
    assert statsig.provider().diff(created.id, created.outs, news).replaces == []
    assert statsig.provider().update(created.id, created.outs, news).outs["on_delete"] == "archive"
    assert statsig.sandbox.journal_count() == 0


def test_a_new_name_replaces_the_gate_creating_the_new_one_first(statsig: Statsig) -> None:
    created = statsig.create()
    provider = statsig.provider()
    diff = provider.diff(created.id, created.outs, statsig.inputs(name=f"{statsig.name} renamed"))
    assert diff.replaces == ["name"] and diff.delete_before_replace is False


@pytest.mark.parametrize("new_name", ["upper", Unknown()], ids=["same id", "unknown"])
def test_a_rename_that_keeps_the_gate_id_deletes_first(statsig: Statsig, new_name: object) -> None:
    created = statsig.create()
    name = statsig.name.upper() if new_name == "upper" else new_name
    news = {**statsig.inputs(), "name": name}
    diff = statsig.provider().diff(created.id, created.outs, news)
    assert diff.replaces == ["name"] and diff.delete_before_replace is True


def test_update_of_a_gate_deleted_by_hand_says_to_refresh(statsig: Statsig) -> None:
    created = statsig.create()
    statsig.sandbox.delete_gate(created.id)
    with pytest.raises(NotFound) as raised:
        statsig.provider().update(created.id, created.outs, statsig.inputs(emails=[OTHER_EMAIL]))
    assert f'"{statsig.name}" ({created.id})' in str(raised.value) and "pulumi up --refresh" in str(raised.value)
    assert statsig.named() == []


# ------------------------------------------------------------ delete and archive


def test_delete_removes_the_gate_and_a_second_delete_succeeds(statsig: Statsig) -> None:
    created = statsig.create()
    provider = statsig.provider()
    provider.delete(created.id, created.outs)
    assert statsig.named() == []
    provider.delete(created.id, created.outs)  # finds it gone: nothing to send
    assert statsig.writes().count("DELETE /console/v1/gates/{id}") == 1


def test_archive_keeps_the_gate_archived_and_a_refresh_sees_it_gone(statsig: Statsig) -> None:
    created = statsig.create(on_delete="archive")
    provider = statsig.provider()
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)  # archiving twice is no error
    assert [g["id"] for g in statsig.sandbox.gates() if g["id"] == created.id] == []
    [archived] = [g for g in statsig.sandbox.archived_gates() if g["id"] == created.id]
    assert archived["status"] == "Archived" and "stagefleet" in archived["archiveReason"]
    assert provider.read(created.id, created.outs).id is None


def test_archiving_a_gate_deleted_by_hand_succeeds(statsig: Statsig) -> None:
    created = statsig.create(on_delete="archive")
    statsig.sandbox.delete_gate(created.id)
    statsig.provider().delete(created.id, created.outs)
    assert statsig.named() == []


def test_a_flag_added_back_after_archiving_unarchives_its_gate(statsig: Statsig) -> None:
    first = statsig.create(on_delete="archive")
    statsig.provider().delete(first.id, first.outs)
    again = statsig.create(emails=[OTHER_EMAIL], on_delete="archive")
    assert again.id == first.id
    [gate] = statsig.named()
    assert gate["status"] != "Archived" and rules_of(gate) == [email_rule([OTHER_EMAIL])]
    assert statsig.provider().read(again.id, again.outs).outs == again.outs


# ------------------------------------------------------------ read: gone and drift


def test_a_gate_deleted_by_hand_reads_gone_and_creating_again_converges(statsig: Statsig) -> None:
    created = statsig.create()
    statsig.sandbox.delete_gate(created.id)
    provider = statsig.provider()
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (None, {})

    again = statsig.create()
    assert again.id == created.id
    # A new gate: the same id (derived from the name), another creation time.
    assert again.outs["created_time"] > created.outs["created_time"]
    assert {**again.outs, "created_time": None} == {**created.outs, "created_time": None}
    [gate] = statsig.named()
    assert rules_of(gate) == [email_rule([EMAIL])]
    assert provider.read(again.id, again.outs).outs == again.outs


def test_refresh_of_an_unchanged_gate_reports_exactly_its_state(statsig: Statsig) -> None:
    created = statsig.create(user_ids=["user-42"], environments=["staging", "development"])
    provider = statsig.provider()
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (created.id, created.outs)
    assert (
        provider.diff(
            created.id, read.outs, statsig.inputs(user_ids=["user-42"], environments=["staging", "development"])
        ).changes
        is False
    )


def test_rules_changed_by_hand_show_as_drift_and_the_next_update_rewrites_them(statsig: Statsig) -> None:
    created = statsig.create()
    statsig.sandbox.set_rules(created.id, [email_rule([EMAIL, "mallory@elsewhere.dev"], ["staging", "production"])])
    provider = statsig.provider()
    drifted = provider.read(created.id, created.outs).outs
    assert (drifted["emails"], drifted["environments"]) == ([EMAIL, "mallory@elsewhere.dev"], ["staging", "production"])
    wanted = statsig.inputs()
    assert provider.diff(created.id, drifted, wanted).changes is True

    provider.update(created.id, drifted, wanted)
    gate = statsig.live(created.id)
    assert gate is not None and rules_of(gate) == [email_rule([EMAIL])]
    assert provider.read(created.id, created.outs).outs == created.outs


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda sb, gid: sb.set_enabled(gid, False), id="disabled"),
        pytest.param(lambda sb, gid: sb.set_rules(gid, []), id="rules removed"),
        pytest.param(lambda sb, gid: sb.set_rules(gid, [{**email_rule([EMAIL]), "passPercentage": 50}]), id="50%"),
        pytest.param(
            lambda sb, gid: sb.set_rules(
                gid,
                [
                    {
                        **email_rule([EMAIL]),
                        "conditions": [
                            {"type": "email", "operator": "any", "targetValue": [EMAIL]},
                            {"type": "country", "operator": "any", "targetValue": ["NZ"]},
                        ],
                    }
                ],
            ),
            id="extra condition",
        ),
    ],
)
def test_a_gate_that_no_longer_passes_its_targets_reads_enabled_for_nobody(statsig: Statsig, change) -> None:
    created = statsig.create()
    change(statsig.sandbox, created.id)
    provider = statsig.provider()
    drifted = provider.read(created.id, created.outs).outs
    assert drifted["emails"] == []
    provider.update(created.id, drifted, statsig.inputs())
    assert provider.read(created.id, created.outs).outs == created.outs
    gate = statsig.live(created.id)
    assert gate is not None and gate["isEnabled"] is True


def test_a_description_edited_by_hand_shows_as_drift(statsig: Statsig) -> None:
    created = statsig.create()
    statsig.sandbox.set_description(created.id, f"someone's notes {MANAGED_MARKER}")
    provider = statsig.provider()
    drifted = provider.read(created.id, created.outs).outs
    assert (drifted["description"], "owner" in drifted and drifted["owner"]) == ("someone's notes", None)
    provider.update(created.id, drifted, statsig.inputs())
    assert provider.read(created.id, created.outs).outs == created.outs


def test_read_of_an_imported_gate_fills_in_the_defaults(statsig: Statsig) -> None:
    created = statsig.create()
    read = statsig.provider().read(created.id, {})
    assert read.outs == created.outs


# ------------------------------------------------------------ faults


def test_a_rate_limited_create_waits_out_retry_after_and_creates_once(statsig: Statsig) -> None:
    statsig.sandbox.faults.add(CREATE, "429", retry_after=0.3, times=2)
    created = statsig.create()
    attempts = [entry for entry in statsig.sandbox.journal if entry.key == CREATE]
    assert [entry.status for entry in attempts] == [429, 429, 201]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    assert all(gap >= 0.3 for gap in gaps), gaps
    assert len(statsig.named()) == 1 and created.id == statsig.named()[0]["id"]


def test_a_mutation_quota_that_counts_rejected_attempts_is_waited_out(private_statsig: Statsig) -> None:
    """Statsig counts rejected attempts against the quota: retrying at once would never get in."""
    statsig = private_statsig
    sandbox = statsig.sandbox
    sandbox.mutation_window = 1.0
    sandbox.mutation_limit_per_window = 2
    created = statsig.create()
    provider = statsig.provider()
    state = created.outs
    for emails in ([OTHER_EMAIL], [EMAIL], [EMAIL, OTHER_EMAIL]):
        state = provider.update(created.id, state, statsig.inputs(emails=emails)).outs
    writes = [entry for entry in sandbox.journal if entry.method != "GET"]
    assert [entry.status for entry in writes].count(429) >= 1
    assert [entry.status for entry in writes if entry.status != 429] == [201, 200, 200, 200]
    gate = statsig.live(created.id)
    assert gate is not None and gate["rules"][0]["conditions"][0]["targetValue"] == [EMAIL, OTHER_EMAIL]


def test_a_create_whose_answer_is_lost_adopts_exactly_one_gate(statsig: Statsig) -> None:
    statsig.sandbox.faults.add(CREATE, "drop_after_apply", times=1)
    created = statsig.create()
    assert [entry.key for entry in statsig.sandbox.journal if entry.key == CREATE] == [CREATE]
    [gate] = statsig.named()
    assert created.id == gate["id"] and rules_of(gate) == [email_rule([EMAIL])]
    # Adopted as it was made: nothing further written.
    assert statsig.writes() == [CREATE]


def test_a_create_that_fails_with_a_server_error_is_retried_once_it_is_known_not_applied(statsig: Statsig) -> None:
    statsig.sandbox.faults.add(CREATE, "503", times=1)
    created = statsig.create()
    assert [entry.status for entry in statsig.sandbox.journal if entry.key == CREATE] == [503, 201]
    assert [g["id"] for g in statsig.named()] == [created.id]


def test_a_gate_of_that_name_made_by_someone_else_is_a_clear_conflict(statsig: Statsig) -> None:
    foreign = statsig.sandbox.seed_gate(
        statsig.name.title(), description="Payments team's gate", rules=[email_rule(["carol@gatewayz.dev"])]
    )
    statsig.sandbox.journal_clear()
    with pytest.raises(Conflict) as raised:
        statsig.create()
    message = str(raised.value)
    assert message.startswith(f'Statsig gate "{statsig.name}" could not be created: ')
    assert f'"{foreign["name"]}" ({foreign["id"]}) already exists' in message
    assert "not managed by stagefleet" in message and "rename the flag" in message
    assert KEY not in message
    # Someone else's gate is left exactly as it was.
    assert statsig.writes() == [CREATE]
    assert statsig.live(foreign["id"]) == foreign


def test_an_earlier_runs_gate_of_that_name_is_adopted_and_brought_in_line(statsig: Statsig) -> None:
    statsig.sandbox.seed_gate(
        statsig.name,
        description=f"old words {MANAGED_MARKER}",
        rules=[email_rule(["old@gatewayz.dev"])],
        is_enabled=False,
    )
    statsig.sandbox.journal_clear()
    created = statsig.create()
    [gate] = statsig.named()
    assert created.id == gate["id"] and gate["isEnabled"] is True
    assert rules_of(gate) == [email_rule([EMAIL])]
    assert statsig.writes() == [CREATE, PATCH]


# ------------------------------------------------------------ check


@pytest.mark.parametrize(
    ("props", "where", "says"),
    [
        ({"name": "ab"}, "name", "3 to 100"),
        ({"name": "checkout/v2"}, "name", "letters, digits"),
        ({"name": " checkout"}, "name", "space"),
        ({"name": "x" * 101}, "name", "3 to 100"),
        ({"emails": ["not-an-email"]}, "emails", "is not an email address"),
        ({"user_ids": ["has space"]}, "user_ids", "is not a user id"),
        ({"emails": [], "user_ids": []}, "emails", "must be enabled for someone"),
        ({"emails": "alice@gatewayz.dev"}, "emails", "must be a list"),
        ({"environments": []}, "environments", "must not be empty"),
        ({"on_delete": "forget"}, "on_delete", "delete, archive"),
        ({"owner": "alice (lead)"}, "owner", "brackets"),
        ({"description": "d" * 990}, "description", "Statsig allows 1000"),
        ({"colour": "blue"}, "colour", "not a property"),
    ],
)
def test_check_rejects_what_statsig_would_refuse_or_misread(props: dict, where: str, says: str) -> None:
    news = {"name": "checkout v2", "owner": "alice", "emails": [EMAIL], **props}
    failures = GateProvider().check({}, news).failures
    assert [(f.property, says in f.reason) for f in failures] == [(where, True)], failures


def test_check_normalises_and_fills_in_defaults() -> None:
    checked = GateProvider().check({}, {"name": "checkout v2", "emails": [f" {EMAIL}", EMAIL], "description": " d "})
    assert checked.failures == []
    assert checked.inputs == {
        "name": "checkout v2",
        "description": "d",
        "owner": None,
        "emails": [EMAIL],
        "user_ids": [],
        "environments": ["staging"],
        "on_delete": "delete",
    }


def test_check_lets_unknown_values_through() -> None:
    checked = GateProvider().check({}, {"name": Unknown(), "emails": [Unknown()], "user_ids": Unknown()})
    assert checked.failures == []


# ------------------------------------------------------------ only the gate stagefleet made

ARCHIVE = "PUT /console/v1/gates/{id}/archive"


def replaced_by_a_stranger(statsig: Statsig, created, description: str = "Payments team's gate") -> dict:
    """Our gate deleted in the console and another made under the same name (so the same id)."""
    statsig.sandbox.delete_gate(created.id)
    stranger = statsig.sandbox.seed_gate(statsig.name, description=description, rules=[email_rule(["carol@x.dev"])])
    assert stranger["id"] == created.id
    statsig.sandbox.journal_clear()
    return stranger


def test_a_gate_made_again_by_someone_else_under_its_name_reads_gone(statsig: Statsig) -> None:
    created = statsig.create()
    replaced_by_a_stranger(statsig, created)
    assert statsig.provider().read(created.id, created.outs).id is None


def test_a_stranger_carrying_the_marker_is_told_apart_by_its_creation_time(statsig: Statsig) -> None:
    created = statsig.create()
    replaced_by_a_stranger(statsig, created, description=f"copied {MANAGED_MARKER}")
    assert statsig.provider().read(created.id, created.outs).id is None


def test_update_never_writes_to_a_stranger(statsig: Statsig) -> None:
    created = statsig.create()
    stranger = replaced_by_a_stranger(statsig, created)
    with pytest.raises(Conflict) as raised:
        statsig.provider().update(created.id, created.outs, statsig.inputs(emails=[OTHER_EMAIL]))
    message = str(raised.value)
    assert f'"{statsig.name}" ({created.id})' in message and "not the one stagefleet made" in message
    assert "pulumi refresh" in message and KEY not in message
    assert statsig.writes() == []
    assert statsig.live(created.id) == stranger


@pytest.mark.parametrize("on_delete", ["delete", "archive"])
def test_delete_leaves_a_stranger_untouched(statsig: Statsig, on_delete: str) -> None:
    created = statsig.create(on_delete=on_delete)
    stranger = replaced_by_a_stranger(statsig, created, description=f"copied {MANAGED_MARKER}")
    statsig.provider().delete(created.id, created.outs)
    assert statsig.writes() == []
    assert statsig.live(created.id) == stranger


def test_a_gate_whose_marker_was_removed_by_hand_is_handed_over(statsig: Statsig) -> None:
    created = statsig.create()
    statsig.sandbox.set_description(created.id, "the payments team's now")
    provider = statsig.provider()
    assert provider.read(created.id, created.outs).id is None
    statsig.sandbox.journal_clear()
    provider.delete(created.id, created.outs)
    assert statsig.writes() == []
    assert statsig.live(created.id) is not None


def test_the_next_up_refuses_to_take_over_the_strangers_gate_and_says_why(statsig: Statsig) -> None:
    created = statsig.create()
    stranger = replaced_by_a_stranger(statsig, created)
    with pytest.raises(Conflict) as raised:
        statsig.create()  # what `pulumi up` does once refresh has dropped ours
    assert "not managed by stagefleet" in str(raised.value) and "rename the flag" in str(raised.value)
    assert statsig.live(created.id) == stranger


def test_a_state_without_a_creation_time_is_checked_by_the_marker_and_gets_it_at_read(statsig: Statsig) -> None:
    created = statsig.create()
    legacy = {key: value for key, value in created.outs.items() if key != "created_time"}
    assert statsig.provider().read(created.id, legacy).outs == created.outs


def test_the_creation_time_survives_the_wire_as_a_float(statsig: Statsig) -> None:
    created = statsig.create()
    as_sent = {**created.outs, "created_time": float(created.outs["created_time"])}
    assert statsig.provider().read(created.id, as_sent).id == created.id


# ------------------------------------------------------------ archive is safe to repeat


def test_an_archive_whose_answer_is_lost_is_sent_once_and_done(statsig: Statsig) -> None:
    statsig.sandbox.refuse_rearchive = True  # a blind second archive would fail the destroy
    created = statsig.create(on_delete="archive")
    statsig.sandbox.faults.add(ARCHIVE, "drop_after_apply", times=1)
    statsig.provider().delete(created.id, created.outs)
    assert statsig.writes().count(ARCHIVE) == 1
    assert [g["id"] for g in statsig.sandbox.archived_gates() if g["id"] == created.id] == [created.id]


def test_a_gate_archived_by_hand_is_not_archived_again(statsig: Statsig) -> None:
    statsig.sandbox.refuse_rearchive = True
    created = statsig.create(on_delete="archive")
    statsig.sandbox.archive_gate(created.id)
    statsig.sandbox.journal_clear()
    statsig.provider().delete(created.id, created.outs)
    assert statsig.writes() == []


def test_an_archive_refused_because_the_gate_is_archived_counts_as_done(statsig: Statsig) -> None:
    statsig.sandbox.refuse_rearchive = True
    created = statsig.create(on_delete="archive")
    statsig.sandbox.archive_gate(created.id)
    statsig.provider()  # configures the settings the client reads
    with StatsigClient.from_settings() as client:
        assert client.archive_gate(created.id, reason="gone from config") is True
    assert [entry.status for entry in statsig.sandbox.journal if entry.key == ARCHIVE] == [400]
