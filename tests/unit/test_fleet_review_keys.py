"""What review stacks add to the fleet stack's model: kind "pr" (review stacks only),
stagefleet:policy, limits.reviewStackTtlDays, and review-only keys kept out of the fleet."""

import pytest

from fleet import FleetSpec
from fleet.config import hosts_in, production_host_in

ENVS = "stagefleet:environments"


def test_kind_pr_is_rejected_in_the_fleet_stack(config, problems_of):
    config[ENVS][2]["kind"] = "pr"

    assert problems_of(config) == [
        (
            f"{ENVS}[2].kind",
            'kind "pr" is not allowed in the fleet stack: PR environments come from review stacks',
        )
    ]


def test_kind_pr_rejection_hints_at_review_stacks(config, error_of):
    config[ENVS][2]["kind"] = "pr"

    assert "Pulumi.pr.yaml" in error_of(config).problems[0].hint


def test_an_unknown_kind_still_lists_only_the_fleet_kinds(config, problems_of):
    config[ENVS][2]["kind"] = "preview"

    assert problems_of(config) == [(f"{ENVS}[2].kind", 'must be one of shared, team or developer, got "preview"')]


@pytest.mark.parametrize("key", ["fleetStack", "pullRequest", "review"])
def test_review_only_keys_are_rejected_in_the_fleet_stack(config, problems_of, key):
    config[f"stagefleet:{key}"] = "staging" if key == "fleetStack" else {}

    assert problems_of(config) == [
        (f"stagefleet:{key}", "only used in review stacks (Pulumi.pr.yaml), not in the fleet stack")
    ]


def test_review_stack_ttl_defaults_to_7_days(config):
    assert FleetSpec.from_config(config).limits.review_stack_ttl_days == 7


def test_review_stack_ttl_is_read_from_limits(config):
    config["stagefleet:limits"] = {"reviewStackTtlDays": 3}

    assert FleetSpec.from_config(config).limits.review_stack_ttl_days == 3


@pytest.mark.parametrize(
    ("value", "message"), [(0, "must be greater than 0"), (2.5, "expected a whole number, got 2.5")]
)
def test_review_stack_ttl_must_be_a_positive_whole_number(config, problems_of, value, message):
    config["stagefleet:limits"] = {"reviewStackTtlDays": value}

    assert problems_of(config) == [("stagefleet:limits.reviewStackTtlDays", message)]


def test_production_hosts_default_to_none(config):
    assert FleetSpec.from_config(config).policy.production_hosts == []


def test_production_hosts_are_lowercased_and_lose_a_trailing_dot(config):
    config["stagefleet:policy"] = {"productionHosts": ["API.Gatewayz.AI", "gatewayz.io."]}

    assert FleetSpec.from_config(config).policy.production_hosts == ["api.gatewayz.ai", "gatewayz.io"]


def test_policy_given_as_json_is_decoded(config):
    config["stagefleet:policy"] = '{"productionHosts": ["gatewayz.ai"]}'

    assert FleetSpec.from_config(config).policy.production_hosts == ["gatewayz.ai"]


@pytest.mark.parametrize(
    ("host", "message", "hint"),
    [
        (
            "https://api.gatewayz.ai/v1",
            '"https://api.gatewayz.ai/v1" is a URL, not a hostname',
            'give the hostname only, e.g. "api.gatewayz.ai"',
        ),
        ("*.gatewayz.ai", '"*.gatewayz.ai" is a wildcard', 'list "gatewayz.ai": its subdomains count too'),
        ("api.gatewayz.ai:443", '"api.gatewayz.ai:443" is not a hostname', None),
        ("-bad.example", '"-bad.example" is not a hostname', None),
    ],
)
def test_a_production_host_must_be_a_hostname(config, error_of, host, message, hint):
    config["stagefleet:policy"] = {"productionHosts": [host]}

    [problem] = error_of(config).problems

    assert (problem.path, problem.message) == ("stagefleet:policy.productionHosts[0]", message)
    if hint:
        assert problem.hint == hint


def test_an_unknown_policy_key_is_rejected(config, problems_of):
    config["stagefleet:policy"] = {"productionHost": ["gatewayz.ai"]}

    assert problems_of(config) == [("stagefleet:policy.productionHost", "unknown key")]


def test_hosts_in_finds_url_hosts_and_bare_hostnames():
    value = "https://API.gatewayz.ai/v1, redis://:pw@cache.internal:6379 db.gatewayz.ai:5432"

    assert hosts_in(value)[:1] == ["api.gatewayz.ai"]
    assert {"cache.internal", "db.gatewayz.ai"} <= set(hosts_in(value))


def test_production_host_in_returns_the_listed_host():
    assert production_host_in("https://eu.api.gatewayz.ai", ["gatewayz.ai"]) == "gatewayz.ai"
    assert production_host_in("https://gatewayz.ai.example", ["gatewayz.ai"]) is None
