"""stagefleet:featureFlags and stagefleet:statsig in the config model: every rule, with the exact
config path and message a DevOps engineer reads in CI."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fleet import FeatureFlagSpec, FleetSpec, StatsigSpec, naming
from fleet.config import gate_name_problem
from fleet.review import FLEET_ONLY_KEYS

FLAGS = "stagefleet:featureFlags"


def a_flag(**changes) -> dict:
    flag = {
        "name": "payments-v2",
        "description": "Payment v2 checkout",
        "owner": "alice@gatewayz.ai",
        "enabledFor": ["alice@gatewayz.ai"],
        "expires": "2027-01-31",
    }
    flag.update(changes)
    return flag


@pytest.fixture
def flagged(config):
    """The conftest config (owners: alice@gatewayz.ai of dev1-alice, platform of main) with one flag."""
    config["stagefleet:environments"][0]["owner"] = "platform"
    config[FLAGS] = [a_flag()]
    return config


# --- the spec ---------------------------------------------------------------------------------


def test_a_flag_is_parsed_with_its_defaults(flagged):
    del flagged[FLAGS][0]["description"]

    spec = FleetSpec.from_config(flagged)

    assert spec.feature_flags == [
        FeatureFlagSpec(
            name="payments-v2",
            description="",
            owner="alice@gatewayz.ai",
            enabled_for=["alice@gatewayz.ai"],
            environments=["staging"],
            expires=dt.date(2027, 1, 31),
        )
    ]
    assert spec.statsig == StatsigSpec(on_delete="delete")
    assert spec.limits.max_flag_days == 90


def test_enabled_for_splits_into_emails_and_user_ids_in_config_order(flagged):
    flagged[FLAGS][0]["enabledFor"] = ["user_4821", "alice@gatewayz.ai", "qa:bot-1", "Bob@Gatewayz.ai"]

    flag = FleetSpec.from_config(flagged).feature_flags[0]

    assert flag.emails == ["alice@gatewayz.ai", "Bob@Gatewayz.ai"]
    assert flag.user_ids == ["user_4821", "qa:bot-1"]


def test_the_gate_id_is_the_name_lowercased_with_spaces_as_underscores(flagged):
    flagged[FLAGS][0]["name"] = "Payments V2.beta"

    spec = FleetSpec.from_config(flagged)

    assert spec.feature_flags[0].gate_id == "payments_v2.beta"
    assert naming.feature_flag_resource_name("Payments V2.beta") == "flag-payments_v2.beta"
    assert spec.feature_flag("Payments V2.beta") is spec.feature_flags[0]


def test_statsig_settings_and_the_console_key_are_read(flagged):
    flagged["stagefleet:statsig"] = {"onDelete": "archive"}
    flagged["stagefleet:statsigConsoleKey"] = {"secure": "v1:ciphertext"}
    flagged["stagefleet:statsigApiUrl"] = "http://127.0.0.1:8123"

    spec = FleetSpec.from_config(flagged)

    assert spec.statsig.on_delete == "archive"
    assert spec.statsig_console_key.get_secret_value() == "v1:ciphertext"
    assert spec.statsig_api_url == "http://127.0.0.1:8123"
    # A secret never shows in the spec's text.
    assert "ciphertext" not in repr(spec)


def test_structured_keys_may_come_as_json_as_the_engine_hands_them(flagged):
    flagged[FLAGS] = json.dumps(flagged[FLAGS])
    flagged["stagefleet:statsig"] = '{"onDelete": "archive"}'

    spec = FleetSpec.from_config(flagged)

    assert (spec.feature_flags[0].name, spec.statsig.on_delete) == ("payments-v2", "archive")


def test_a_fleet_without_flags_has_none(config):
    assert FleetSpec.from_config(config).feature_flags == []


def test_statsig_keys_belong_to_the_fleet_stack_only():
    for key in ("featureFlags", "statsig", "statsigConsoleKey", "statsigApiUrl"):
        assert key in FLEET_ONLY_KEYS


# --- gate names -------------------------------------------------------------------------------


NAME_HINT = 'use 3 to 100 letters, digits, spaces, "_", "-" and ".", e.g. payments-v2'


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("pv", "it has 2 characters, fewer than 3"),
        ("x" * 101, "it has 101 characters, more than 100"),
        ("payments/v2", 'it contains "/"'),
        ("payments:v2", 'it contains ":"'),
        ("paiement-été", 'it contains "é"'),
        (" payments", "it starts with a space"),
        ("payments ", "it ends with a space"),
    ],
)
def test_a_gate_name_statsig_refuses_is_reported_with_why(flagged, problems_of, error_of, name, reason):
    flagged[FLAGS][0]["name"] = name

    assert problems_of(flagged) == [(f"{FLAGS}[0].name", f'"{name}" is not a valid Statsig gate name: {reason}')]
    assert error_of(flagged).problems[0].hint == NAME_HINT


@pytest.mark.parametrize("name", ["abc", "x" * 100, "Payments V2", "payments_v2.beta-1", "A.B"])
def test_gate_names_in_statsigs_form_are_accepted(name):
    assert gate_name_problem(name) is None


def test_an_empty_gate_name_is_reported(flagged, problems_of):
    flagged[FLAGS][0]["name"] = ""

    assert problems_of(flagged) == [(f"{FLAGS}[0].name", "must not be empty")]


# --- duplicates -------------------------------------------------------------------------------

DUPLICATE_HINT = (
    'Statsig derives a gate\'s id from its name (lowercase, spaces as "_"): give each flag a name of its own'
)


def test_a_flag_name_used_twice_is_reported_at_the_second(flagged, problems_of, error_of):
    flagged[FLAGS].append(a_flag(enabledFor=["user_1"]))

    assert problems_of(flagged) == [
        (f"{FLAGS}[1].name", f'feature flag name "payments-v2" is already used by {FLAGS}[0]')
    ]
    assert error_of(flagged).problems[0].hint == DUPLICATE_HINT


@pytest.mark.parametrize("second", ["payments v2", "Payments-V2", "PAYMENTS V2"])
def test_names_that_give_the_same_gate_id_are_duplicates(flagged, problems_of, second):
    flagged[FLAGS][0]["name"] = "Payments V2" if second != "Payments-V2" else "payments-v2"
    first = flagged[FLAGS][0]["name"]
    flagged[FLAGS].append(a_flag(name=second))
    gate_id = naming.statsig_gate_id(second)

    assert problems_of(flagged) == [
        (
            f"{FLAGS}[1].name",
            f'feature flag "{second}" has the Statsig gate id "{gate_id}", as "{first}" ({FLAGS}[0]) has',
        ),
    ]


def test_an_enabled_for_entry_listed_twice_is_reported_emails_without_case(flagged, problems_of):
    flagged[FLAGS][0]["enabledFor"] = ["alice@gatewayz.ai", "user_1", "Alice@GatewayZ.ai", "user_1", "USER_1"]

    assert problems_of(flagged) == [
        (f"{FLAGS}[0].enabledFor[2]", f'"Alice@GatewayZ.ai" is already listed as {FLAGS}[0].enabledFor[0]'),
        (f"{FLAGS}[0].enabledFor[3]", f'"user_1" is already listed as {FLAGS}[0].enabledFor[1]'),
    ]  # user ids keep their case: USER_1 is somebody else


def test_an_environment_listed_twice_is_reported(flagged, problems_of):
    flagged[FLAGS][0]["environments"] = ["staging", "development", "staging"]

    assert problems_of(flagged) == [
        (f"{FLAGS}[0].environments[2]", f'"staging" is already listed as {FLAGS}[0].environments[0]')
    ]


# --- owners -----------------------------------------------------------------------------------


@pytest.mark.parametrize("owner", ["alice@gatewayz.ai", "platform"])
def test_the_owner_of_any_environment_may_own_a_flag(flagged, owner):
    flagged[FLAGS][0]["owner"] = owner

    assert FleetSpec.from_config(flagged).feature_flags[0].owner == owner


def test_an_owner_close_to_a_known_one_gets_a_suggestion(flagged, problems_of, error_of):
    flagged[FLAGS][0]["owner"] = "alice@gatewayz.io"

    assert problems_of(flagged) == [(f"{FLAGS}[0].owner", '"alice@gatewayz.io" owns no environment of the fleet')]
    assert error_of(flagged).problems[0].hint == 'did you mean "alice@gatewayz.ai"?'


def test_an_unknown_owner_is_told_the_known_ones(flagged, problems_of, error_of):
    flagged[FLAGS][0]["owner"] = "mallory"

    assert problems_of(flagged) == [(f"{FLAGS}[0].owner", '"mallory" owns no environment of the fleet')]
    assert error_of(flagged).problems[0].hint == (
        "the owner of an environment of the fleet: alice@gatewayz.ai, platform"
    )


def test_the_owner_of_an_environment_with_other_faults_still_counts(flagged, problems_of):
    flagged["stagefleet:environments"][1]["branch"] = "feature..alice"

    assert [path for path, _ in problems_of(flagged)] == ["stagefleet:environments[1].branch"]


def test_owners_are_not_checked_against_an_environment_list_that_is_not_json(flagged, problems_of):
    flagged["stagefleet:environments"] = "[not json"

    assert [path for path, _ in problems_of(flagged)] == ["stagefleet:environments"]


def test_a_missing_owner_is_reported(flagged, problems_of):
    del flagged[FLAGS][0]["owner"]

    assert problems_of(flagged) == [(f"{FLAGS}[0].owner", "required key is missing")]


# --- enabledFor -------------------------------------------------------------------------------


def test_enabled_for_must_list_somebody(flagged, problems_of, error_of):
    flagged[FLAGS][0]["enabledFor"] = []

    assert problems_of(flagged) == [(f"{FLAGS}[0].enabledFor", "must list at least one email address or user id")]
    assert (
        error_of(flagged).problems[0].hint == "the people who see the flag on staging, e.g. its owner's email address"
    )


def test_enabled_for_is_required(flagged, problems_of):
    del flagged[FLAGS][0]["enabledFor"]

    assert problems_of(flagged) == [(f"{FLAGS}[0].enabledFor", "required key is missing")]


def test_enabled_for_given_as_one_string_is_a_type_error(flagged, problems_of):
    flagged[FLAGS][0]["enabledFor"] = "alice@gatewayz.ai"

    assert problems_of(flagged) == [(f"{FLAGS}[0].enabledFor", "expected a list, got a string")]


@pytest.mark.parametrize(
    "entry",
    [
        "alice@gatewayz",
        "@gatewayz.ai",
        "alice@@gatewayz.ai",
        "alice smith@gatewayz.ai",
        "alice@-gatewayz.ai",
        "a" * 65 + "@gatewayz.ai",
    ],
)
def test_an_entry_with_an_at_sign_must_be_an_email_address(flagged, problems_of, error_of, entry):
    flagged[FLAGS][0]["enabledFor"] = ["bob@gatewayz.ai", entry]

    assert problems_of(flagged) == [(f"{FLAGS}[0].enabledFor[1]", f'"{entry}" is not a valid email address')]
    assert error_of(flagged).problems[0].hint == 'e.g. alice@gatewayz.ai; an entry without "@" is a user id'


@pytest.mark.parametrize("entry", ["alice smith", "user/42", "x" * 129, "ユーザー"])
def test_an_entry_without_an_at_sign_must_be_a_user_id(flagged, problems_of, error_of, entry):
    flagged[FLAGS][0]["enabledFor"] = [entry]

    assert problems_of(flagged) == [
        (f"{FLAGS}[0].enabledFor[0]", f'"{entry}" is neither an email address nor a user id')
    ]
    assert error_of(flagged).problems[0].hint == (
        'a user id has 1 to 128 letters, digits, "_", ".", ":" and "-"; an email address has an "@"'
    )


@pytest.mark.parametrize("entry", ["u", "x" * 128, "user_4821", "qa:bot-1.eu", "first.last+staging@gatewayz.ai"])
def test_user_ids_and_email_addresses_in_their_form_are_accepted(flagged, entry):
    flagged[FLAGS][0]["enabledFor"] = [entry]

    assert FleetSpec.from_config(flagged).feature_flags[0].enabled_for == [entry]


def test_an_empty_entry_is_reported(flagged, problems_of):
    flagged[FLAGS][0]["enabledFor"] = [""]

    assert problems_of(flagged) == [(f"{FLAGS}[0].enabledFor[0]", "must not be empty")]


def test_every_bad_entry_is_reported_at_once(flagged, problems_of):
    flagged[FLAGS][0]["enabledFor"] = ["bob smith", "al@x", "ok_user", 42]

    assert problems_of(flagged) == [
        (f"{FLAGS}[0].enabledFor[0]", '"bob smith" is neither an email address nor a user id'),
        (f"{FLAGS}[0].enabledFor[1]", '"al@x" is not a valid email address'),
        (f"{FLAGS}[0].enabledFor[3]", "expected a string, got a number"),
    ]


# --- the rest of a flag -----------------------------------------------------------------------


def test_environments_must_list_one(flagged, problems_of, error_of):
    flagged[FLAGS][0]["environments"] = []

    assert problems_of(flagged) == [(f"{FLAGS}[0].environments", "must list at least one Statsig environment")]
    assert error_of(flagged).problems[0].hint == 'leave it out for the default, ["staging"]'


@pytest.mark.parametrize("environment", ["stag/ing", " staging", "staging ", "x" * 101, "prod*"])
def test_an_environment_name_statsig_refuses_is_reported(flagged, problems_of, error_of, environment):
    flagged[FLAGS][0]["environments"] = ["staging", environment]

    assert problems_of(flagged) == [
        (f"{FLAGS}[0].environments[1]", f'"{environment}" is not a Statsig environment name')
    ]
    assert error_of(flagged).problems[0].hint == (
        "an environment of the Statsig project, e.g. staging or development: 1 to 100 letters, digits, "
        'spaces, "_", "-" and "."'
    )


def test_other_statsig_environments_may_be_listed(flagged):
    flagged[FLAGS][0]["environments"] = ["staging", "development", "QA east.1"]

    assert FleetSpec.from_config(flagged).feature_flags[0].environments == ["staging", "development", "QA east.1"]


def test_a_description_that_does_not_fit_with_the_owner_and_the_marker_is_reported(flagged, problems_of):
    # The gate's description is "<description> (owner: alice@gatewayz.ai) [managed by stagefleet]".
    added = " (owner: alice@gatewayz.ai) [managed by stagefleet]"
    assert naming.statsig_gate_description("x", "alice@gatewayz.ai") == "x" + added
    room = 1000 - len(added)
    flagged[FLAGS][0]["description"] = "x" * room
    FleetSpec.from_config(flagged)  # exactly fits
    flagged[FLAGS][0]["description"] = "x" * (room + 1)

    assert problems_of(flagged) == [
        (
            f"{FLAGS}[0].description",
            f'has {room + 1} characters; at most {room} fit: Statsig allows 1000 and stagefleet appends "{added}"',
        ),
    ]


def test_the_room_for_the_description_depends_on_the_owner(flagged, problems_of):
    flagged[FLAGS][0].update(owner="platform", description="x" * 958)
    FleetSpec.from_config(flagged)  # 958 + 42 = 1000: fits, where alice's flag could not
    flagged[FLAGS][0].update(description="x" * 960)

    assert problems_of(flagged) == [
        (
            f"{FLAGS}[0].description",
            "has 960 characters; at most 958 fit: Statsig allows 1000 and stagefleet appends "
            '" (owner: platform) [managed by stagefleet]"',
        ),
    ]


def test_a_description_that_is_not_text_is_a_type_error(flagged, problems_of):
    flagged[FLAGS][0]["description"] = 42

    assert problems_of(flagged) == [(f"{FLAGS}[0].description", "expected a string, got a number")]


@pytest.mark.parametrize("char", ["(", ")", "[", "]", "\n"])
def test_an_owner_with_brackets_cannot_own_a_flag(flagged, problems_of, error_of, char):
    owner = f"team {char} eu"
    flagged["stagefleet:environments"][2]["owner"] = owner  # payments' owner: known
    flagged[FLAGS][0]["owner"] = owner

    assert problems_of(flagged) == [
        (f"{FLAGS}[0].owner", f"{json.dumps(owner)} cannot own a feature flag: it contains {json.dumps(char)}")
    ]
    assert error_of(flagged).problems[0].hint == (
        "the owner is written into the gate's description as (owner: <owner>): "
        "use an owner without brackets or line breaks"
    )


def test_an_expiry_that_is_not_a_date_is_reported(flagged, problems_of):
    flagged[FLAGS][0]["expires"] = "2027-02-30"

    assert problems_of(flagged) == [(f"{FLAGS}[0].expires", '"2027-02-30" is not a calendar date')]


def test_an_unknown_flag_key_is_reported_with_a_suggestion(flagged, problems_of, error_of):
    flagged[FLAGS][0]["enabledfor"] = flagged[FLAGS][0].pop("enabledFor")

    assert problems_of(flagged) == [
        (f"{FLAGS}[0].enabledFor", "required key is missing"),
        (f"{FLAGS}[0].enabledfor", "unknown key"),
    ]
    assert error_of(flagged).problems[1].hint == 'did you mean "enabledFor"?'


def test_feature_flags_given_as_a_mapping_is_a_type_error(flagged, problems_of):
    flagged[FLAGS] = {"payments-v2": a_flag()}

    assert problems_of(flagged) == [(FLAGS, "expected a list, got a mapping")]


# --- stagefleet:statsig and the top-level keys -------------------------------------------------


def test_on_delete_must_be_delete_or_archive(flagged, problems_of):
    flagged["stagefleet:statsig"] = {"onDelete": "remove"}

    assert problems_of(flagged) == [("stagefleet:statsig.onDelete", 'must be one of delete or archive, got "remove"')]


def test_an_unknown_statsig_key_is_reported(flagged, problems_of, error_of):
    flagged["stagefleet:statsig"] = {"ondelete": "archive"}

    assert problems_of(flagged) == [("stagefleet:statsig.ondelete", "unknown key")]
    assert error_of(flagged).problems[0].hint == 'did you mean "onDelete"?'


def test_the_console_key_is_a_secret_and_never_echoed(flagged, error_of):
    flagged["stagefleet:statsigConsoleKey"] = {"plain": "console-abc123"}

    error = error_of(flagged)

    assert [(p.path, p.message) for p in error.problems] == [
        ("stagefleet:statsigConsoleKey", "expected a non-empty string or {secure: <ciphertext>}")
    ]
    assert (
        error.problems[0].hint
        == "set it with: pulumi config set --secret --path 'stagefleet:statsigConsoleKey' <value>"
    )
    assert "console-abc123" not in str(error)


def test_the_api_url_must_be_http(flagged, problems_of):
    flagged["stagefleet:statsigApiUrl"] = "statsigapi.net"

    assert problems_of(flagged) == [("stagefleet:statsigApiUrl", "must be an http:// or https:// URL")]


def test_a_misspelt_feature_flags_key_is_suggested(flagged, error_of):
    flagged["stagefleet:featureFlag"] = flagged.pop(FLAGS)

    problem = error_of(flagged).problems[0]
    assert (problem.path, problem.message, problem.hint) == (
        "stagefleet:featureFlag",
        "unknown key",
        'did you mean "stagefleet:featureFlags"?',
    )


def test_max_flag_days_must_be_positive(flagged, problems_of):
    flagged["stagefleet:limits"] = {"maxFlagDays": 0}

    assert problems_of(flagged) == [("stagefleet:limits.maxFlagDays", "must be greater than 0")]


def test_problems_of_flags_come_after_the_environments_in_config_order(flagged, problems_of):
    flagged["stagefleet:environments"][2]["branch"] = "a..b"
    flagged[FLAGS] = [a_flag(owner="mallory"), a_flag(name="pv")]

    assert [path for path, _ in problems_of(flagged)] == [
        "stagefleet:environments[2].branch",
        f"{FLAGS}[0].owner",
        f"{FLAGS}[1].name",
    ]
