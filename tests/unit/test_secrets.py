"""Secrets reach the model in plain text inside the Pulumi program; none may leak into output."""

import traceback

import pytest
from pydantic import ValidationError

from fleet import DatabaseSpec, FleetSpec

SECRET = "sbp_planted-secret-0123456789"


def _everything_printed(error) -> str:
    hints = [problem.hint or "" for problem in error.problems]
    return "\n".join([str(error), repr(error.problems), *hints, *traceback.format_exception(error)])


@pytest.mark.parametrize(
    "place_secret",
    [
        # a key where only external databases take one
        lambda c: c["stagefleet:environments"][0].update(database={"strategy": "dedicated", "supabaseKey": SECRET}),
        # a key given in the wrong shape
        lambda c: c["stagefleet:environments"][0].update(database={"strategy": "external", "supabaseKey": [SECRET]}),
        lambda c: c.update({"stagefleet:railwayToken": {"token": SECRET}}),
        lambda c: c.update({"stagefleet:supabaseAccessToken": {"secure": 1, "plain": SECRET}}),
        # a key pasted where a service names which key it gets
        lambda c: c["stagefleet:railway"]["services"][0].update(supabaseKey=SECRET),
    ],
    ids=["unused-key", "key-in-a-list", "token-as-mapping", "malformed-secure", "key-as-service-key-name"],
)
def test_no_problem_report_contains_a_secret_value(config, error_of, place_secret):
    place_secret(config)

    assert SECRET not in _everything_printed(error_of(config))


def test_the_spec_does_not_show_secrets(config):
    config["stagefleet:railwayToken"] = SECRET
    config["stagefleet:environments"][2]["database"] = {
        "strategy": "external",
        "supabaseUrl": "https://abc.supabase.co",
        "supabaseKey": SECRET,
    }

    spec = FleetSpec.from_config(config)

    assert SECRET not in repr(spec) + str(spec) + spec.model_dump_json()


def test_a_secret_in_an_invalid_environment_is_not_shown(config, error_of):
    config["stagefleet:environments"][2] = {
        "name": "Payments",
        "kind": "team",
        "branch": "main",
        "database": {"strategy": "external", "supabaseUrl": "https://abc.supabase.co", "supabaseKey": SECRET},
    }

    assert SECRET not in _everything_printed(error_of(config))


def test_a_spec_built_in_python_does_not_show_secrets_in_its_validation_error():
    with pytest.raises(ValidationError) as caught:
        DatabaseSpec(strategy="dedicated", supabase_key=SECRET)

    assert SECRET not in str(caught.value)
