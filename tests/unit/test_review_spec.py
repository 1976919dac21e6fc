"""ReviewSpec: a review stack's config (Pulumi.pr.yaml + what CI sets) read against the fleet."""

import json
from typing import Any

import pytest

from fleet import DatabaseSpec, FleetConfigError, FleetSpec, ReviewSpec, load_review_spec
from fleet.stackfile import load_stack_config
from tests.unit.review_support import PULL_REQUEST, REPO, fleet_config


@pytest.fixture
def fleet() -> FleetSpec:
    return FleetSpec.from_config(fleet_config())


@pytest.fixture
def review() -> dict[str, Any]:
    """A review stack's config as the program gets it once CI has set the pull request."""
    return {"stagefleet:fleetStack": "staging", "stagefleet:pullRequest": dict(PULL_REQUEST)}


def problems(mapping: dict[str, Any], fleet: FleetSpec, **options: Any) -> list[tuple[str, str]]:
    with pytest.raises(FleetConfigError) as caught:
        ReviewSpec.from_config(mapping, fleet, **options)
    return [(problem.path, problem.message) for problem in caught.value.problems]


def test_the_environment_is_named_after_the_pull_request_and_of_kind_pr(review, fleet):
    spec = ReviewSpec.from_config(review, fleet)

    environment = spec.environment
    assert (environment.name, environment.kind) == ("pr-42", "pr")


def test_the_environment_carries_the_pull_request_branch_author_and_title(review, fleet):
    environment = ReviewSpec.from_config(review, fleet).environment

    assert (environment.branch, environment.owner, environment.purpose) == (
        "feature/checkout-v2",
        "alice",
        "Checkout v2",
    )


def test_the_pull_request_is_exposed_as_given(review, fleet):
    pull_request = ReviewSpec.from_config(review, fleet).pull_request

    assert (pull_request.number, pull_request.branch, pull_request.title, pull_request.author) == (
        42,
        "feature/checkout-v2",
        "Checkout v2",
        "alice",
    )


def test_the_default_database_is_a_branch_of_the_first_shared_environment(review, fleet):
    spec = ReviewSpec.from_config(review, fleet)

    assert (spec.database.strategy, spec.database.source) == ("branch", "main")
    assert spec.database_is_default
    assert spec.environment.database == spec.database


def test_a_fleet_without_a_shared_environment_needs_an_explicit_database(review):
    config = fleet_config()
    config["stagefleet:environments"][0]["kind"] = "team"
    fleet = FleetSpec.from_config(config)

    [(path, message)] = problems(review, fleet)

    assert path == "stagefleet:review.database"
    assert message.startswith("required: the fleet stack staging has no environment of kind shared")


def test_an_explicit_database_replaces_the_default(review, fleet):
    review["stagefleet:review"] = {"database": {"strategy": "branch", "source": "dev1-alice", "withData": True}}

    spec = ReviewSpec.from_config(review, fleet)

    assert spec.database == DatabaseSpec(strategy="branch", source="dev1-alice", with_data=True)
    assert not spec.database_is_default


def test_the_database_source_is_an_environment_of_the_fleet(review, fleet):
    spec = ReviewSpec.from_config(review, fleet)

    assert spec.database_source() is fleet.environment("main")


def test_an_unknown_database_source_names_the_fleet_stack(review, fleet):
    review["stagefleet:review"] = {"database": {"strategy": "branch", "source": "mian"}}

    assert problems(review, fleet) == [
        ("stagefleet:review.database.source", 'no environment named "mian" in the fleet stack staging'),
    ]


def test_an_unknown_database_source_suggests_the_close_name(review, fleet):
    review["stagefleet:review"] = {"database": {"strategy": "branch", "source": "mian"}}

    with pytest.raises(FleetConfigError) as caught:
        ReviewSpec.from_config(review, fleet)

    assert caught.value.problems[0].hint == 'did you mean "main"?'


def test_the_fleet_stack_name_is_the_last_segment_of_a_qualified_reference(review, fleet):
    review["stagefleet:fleetStack"] = "gatewayz/stagefleet/staging"

    spec = ReviewSpec.from_config(review, fleet)

    assert (spec.fleet_stack, spec.fleet_stack_name) == ("gatewayz/stagefleet/staging", "staging")


def test_the_fleet_stack_is_required(review, fleet):
    del review["stagefleet:fleetStack"]

    assert problems(review, fleet) == [("stagefleet:fleetStack", "required key is missing")]


@pytest.mark.parametrize("reference", ["pr-7", "gatewayz/stagefleet/pr", "a/b/c/d", "stag ing"])
def test_a_fleet_stack_reference_must_name_a_fleet_stack(review, fleet, reference):
    review["stagefleet:fleetStack"] = reference

    [(path, _)] = problems(review, fleet)

    assert path == "stagefleet:fleetStack"


def test_the_pull_request_is_required_for_a_program_run(review, fleet):
    del review["stagefleet:pullRequest"]

    assert problems(review, fleet) == [
        ("stagefleet:pullRequest", "required in a review stack: CI sets it for each pull request"),
    ]


def test_the_template_parses_without_a_pull_request(review, fleet):
    del review["stagefleet:pullRequest"]

    spec = ReviewSpec.from_config(review, fleet, require_pull_request=False)

    assert (spec.pull_request, spec.environment, spec.stack_name) == (None, None, None)
    assert spec.database.source == "main"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "must be at least 1"),
        (-3, "must be at least 1"),
        (True, "expected a whole number, got a boolean"),
        ("twelve", "expected a whole number, got a string"),
        (4.5, "expected a whole number, got 4.5"),
    ],
)
def test_the_pull_request_number_must_be_a_positive_whole_number(review, fleet, value, message):
    review["stagefleet:pullRequest"]["number"] = value

    assert problems(review, fleet) == [("stagefleet:pullRequest.number", message)]


@pytest.mark.parametrize("value", ["42", 42.0])
def test_a_pull_request_number_set_as_digits_or_a_float_is_accepted(review, fleet, value):
    review["stagefleet:pullRequest"]["number"] = value

    assert ReviewSpec.from_config(review, fleet).pull_request.number == 42


def test_the_pull_request_branch_must_be_a_valid_git_branch(review, fleet):
    review["stagefleet:pullRequest"]["branch"] = "feature/..oops"

    [(path, message)] = problems(review, fleet)

    assert path == "stagefleet:pullRequest.branch"
    assert message.endswith('is not a valid git branch name: it contains ".."')


@pytest.mark.parametrize("key", ["number", "branch", "title", "author"])
def test_every_pull_request_field_is_required(review, fleet, key):
    del review["stagefleet:pullRequest"][key]

    assert problems(review, fleet) == [(f"stagefleet:pullRequest.{key}", "required key is missing")]


def test_the_pull_request_as_a_json_string_is_decoded(review, fleet):
    # The Pulumi runtime hands structured config to the program as JSON.
    review["stagefleet:pullRequest"] = json.dumps(PULL_REQUEST)
    review["stagefleet:review"] = json.dumps({"variables": {"FEATURE_X": "on"}})

    spec = ReviewSpec.from_config(review, fleet)

    assert (spec.environment.name, spec.variables) == ("pr-42", {"FEATURE_X": "on"})


def test_a_pull_request_number_other_than_the_stacks_is_rejected(review, fleet):
    assert problems(review, fleet, stack_name="pr-41") == [
        ("stagefleet:pullRequest.number", "is 42, but this is the stack of pull request #41 (pr-41)"),
    ]


def test_the_stacks_own_pull_request_number_is_accepted(review, fleet):
    spec = ReviewSpec.from_config(review, fleet, stack_name="gatewayz/stagefleet/pr-42")

    assert spec.stack_name == "pr-42"


def test_fleet_keys_are_rejected_in_a_review_stack(review, fleet):
    review["stagefleet:environments"] = []
    review["stagefleet:railway"] = {}

    assert problems(review, fleet) == [
        ("stagefleet:environments", "set in the fleet stack, not in a review stack"),
        ("stagefleet:railway", "set in the fleet stack, not in a review stack"),
    ]


def test_an_unknown_review_key_is_reported_with_the_allowed_keys(review, fleet):
    review["stagefleet:review"] = {"databse": {"strategy": "dedicated"}}

    with pytest.raises(FleetConfigError) as caught:
        ReviewSpec.from_config(review, fleet)

    [problem] = caught.value.problems
    assert (problem.path, problem.message, problem.hint) == (
        "stagefleet:review.databse",
        "unknown key",
        'did you mean "database"?',
    )


def test_review_variables_override_service_and_fleet_defaults(review, fleet):
    review["stagefleet:review"] = {"variables": {"LOG_LEVEL": "debug", "PREVIEW": "true"}}
    spec = ReviewSpec.from_config(review, fleet)
    api = fleet.railway.services[0]

    assert spec.variables_for(api) == {"APP_ENV": "staging", "LOG_LEVEL": "debug", "PREVIEW": "true"}


def test_the_fleets_variables_for_works_for_the_pr_environment(review, fleet):
    spec = ReviewSpec.from_config(review, fleet)
    api = fleet.railway.services[0]

    assert fleet.variables_for(spec.environment, api) == {"APP_ENV": "staging", "LOG_LEVEL": "warn"}


def test_the_fleets_database_helpers_work_for_the_pr_environment(review, fleet):
    review["stagefleet:review"] = {"database": {"strategy": "shared", "source": "main"}, "allowSharedDatabase": True}
    spec = ReviewSpec.from_config(review, fleet)

    assert fleet.database_for(spec.environment).strategy == "shared"
    assert fleet.database_owner(spec.environment).name == "main"
    assert fleet.instance_size_for(spec.environment) == "micro"


def test_the_supabase_branch_of_a_review_is_named_prefix_pr_number(review, fleet):
    assert ReviewSpec.from_config(review, fleet).supabase_branch_name() == "gatewayz-pr-42"


def test_load_review_spec_reads_the_fleet_stack_file_next_to_it(tmp_path, review):
    (tmp_path / "Pulumi.staging.yaml").write_text(
        (REPO / "Pulumi.staging.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )

    spec = load_review_spec(review, tmp_path)

    assert [env.name for env in spec.fleet.environments][0] == "main"
    assert spec.environment.name == "pr-42"


def test_load_review_spec_reports_a_missing_fleet_stack_file_at_fleet_stack(tmp_path, review):
    with pytest.raises(FleetConfigError) as caught:
        load_review_spec(review, tmp_path)

    [problem] = caught.value.problems
    assert problem.path == "stagefleet:fleetStack"
    assert "no such stack file" in problem.message


def test_the_real_staging_stack_supports_a_default_review(review):
    fleet = FleetSpec.from_config(load_stack_config(REPO / "Pulumi.staging.yaml"))

    spec = ReviewSpec.from_config(review, fleet)

    assert (spec.database.strategy, spec.database.source) == ("branch", "main")
