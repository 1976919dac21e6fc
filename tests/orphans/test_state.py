"""What the stacks own: `pulumi stack export` documents read by fleet.orphans.parse_stack_export,
from --state files or through the pulumi CLI (a stand-in script on PATH here)."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from fleet import orphans
from fleet.janitor import JanitorInputError
from fleet.orphan_sweep import OrphansInputError, read_owners
from fleet.orphans import OwnedResource

# The provider object a dynamic resource's state keeps, pickled (base64).
PICKLED = "gASVRgAAAAAAAACMHXByb3ZpZGVycy5yYWlsd2F5LmVudmlyb25tZW50lIwTRW52aXJvbm1lbnRQcm92aWRlcpSTlCmBlC4="

# What `pulumi stack export --stack pr-14` prints for a review stack, abridged by hand from a real
# one: the stack, the default dynamic provider, the StagingEnvironment component, a Railway
# environment, a Supabase branch, its keys (not a kind that is owned by id here), an access token
# with a secret output, and a resource pending deletion after a replace.
EXPORT = {
    "version": 3,
    "deployment": {
        "manifest": {
            "time": "2027-01-10T16:40:52.013775Z",
            "magic": "4a1e1b1c0d2ec8f6d8e9d44b1e5a5e2f8d9b7d0f1a2c3b4d5e6f708192a3b4c5",
            "version": "v3.272.0",
        },
        "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:cHJzdGFjaw==:v1:1Lb5rAXK:Pp3Q=="}},
        "resources": [
            {
                "urn": "urn:pulumi:pr-14::stagefleet::pulumi:pulumi:Stack::stagefleet-pr-14",
                "custom": False,
                "type": "pulumi:pulumi:Stack",
                "outputs": {
                    "accessTokens": {
                        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                        "ciphertext": "v1:D4i1QW9k:hk0q7bQyG2tC6vLwqm1J3zY9n0Q=",
                    },
                    "pullRequest": 14,
                    "railwayProjectId": "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01",
                },
                "created": "2027-01-08T09:02:11.551002Z",
                "modified": "2027-01-10T16:40:51.902118Z",
            },
            {
                "urn": "urn:pulumi:pr-14::stagefleet::pulumi:providers:pulumi-python::default",
                "custom": True,
                "id": "8e7f2c4a-6b1d-4e3f-9a0b-1c2d3e4f5a6b",
                "type": "pulumi:providers:pulumi-python",
                "created": "2027-01-08T09:02:12.004Z",
                "modified": "2027-01-08T09:02:12.004Z",
            },
            {
                "urn": "urn:pulumi:pr-14::stagefleet::stagefleet:index:StagingEnvironment::pr-14",
                "custom": False,
                "type": "stagefleet:index:StagingEnvironment",
                "parent": "urn:pulumi:pr-14::stagefleet::pulumi:pulumi:Stack::stagefleet-pr-14",
                "created": "2027-01-08T09:02:12.11Z",
                "modified": "2027-01-08T09:02:12.11Z",
            },
            {
                "urn": (
                    "urn:pulumi:pr-14::stagefleet::stagefleet:index:StagingEnvironment"
                    "$pulumi-python:dynamic/railway:Environment::pr-14-environment"
                ),
                "custom": True,
                "id": "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                "type": "pulumi-python:dynamic/railway:Environment",
                "inputs": {
                    "__provider": PICKLED,
                    "ephemeral": True,
                    "name": "pr-14",
                    "project_id": "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01",
                    "source_environment_id": "7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10",
                },
                "outputs": {
                    "__provider": PICKLED,
                    "environment_id": "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                    "ephemeral": True,
                    "name": "pr-14",
                    "project_id": "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01",
                    "source_environment_id": "7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10",
                },
                "parent": "urn:pulumi:pr-14::stagefleet::stagefleet:index:StagingEnvironment::pr-14",
                "provider": (
                    "urn:pulumi:pr-14::stagefleet::pulumi:providers:pulumi-python::default"
                    "::8e7f2c4a-6b1d-4e3f-9a0b-1c2d3e4f5a6b"
                ),
                "propertyDependencies": {"name": [], "project_id": [], "source_environment_id": []},
                "created": "2027-01-08T09:02:14.77Z",
                "modified": "2027-01-08T09:02:14.77Z",
            },
            {
                "urn": (
                    "urn:pulumi:pr-14::stagefleet::stagefleet:index:StagingEnvironment$stagefleet:index:Database"
                    "$pulumi-python:dynamic/supabase:Branch::pr-14-branch"
                ),
                "custom": True,
                "id": "b7a1c9e2-0d4f-4a6b-8c2e-3f5a7b9d1e20",
                "type": "pulumi-python:dynamic/supabase:Branch",
                "inputs": {
                    "__provider": "gASV...",
                    "name": "gatewayz-pr-14",
                    "parent_ref": "kqmzjvwxabcdefghijkl",
                    "with_data": False,
                },
                "outputs": {
                    "__provider": "gASV...",
                    "name": "gatewayz-pr-14",
                    "parent_ref": "kqmzjvwxabcdefghijkl",
                    "ref": "pqrstuvwxyzabcdefghi",
                    "with_data": False,
                },
                "parent": "urn:pulumi:pr-14::stagefleet::stagefleet:index:StagingEnvironment::pr-14",
                "created": "2027-01-08T09:02:15.2Z",
                "modified": "2027-01-08T09:02:15.2Z",
            },
            {
                "urn": (
                    "urn:pulumi:pr-14::stagefleet::stagefleet:index:StagingEnvironment$stagefleet:index:Database"
                    "$pulumi-python:dynamic/supabase:ProjectKeys::pr-14-keys"
                ),
                "custom": True,
                "id": "pqrstuvwxyzabcdefghi",
                "type": "pulumi-python:dynamic/supabase:ProjectKeys",
                "outputs": {
                    "anon_key": {
                        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                        "ciphertext": "v1:9Qk2:Zm9v",
                    },
                },
                "additionalSecretOutputs": ["anon_key", "service_role_key", "connection_string"],
            },
            {
                "urn": (
                    "urn:pulumi:pr-14::stagefleet::stagefleet:index:StagingEnvironment"
                    "$pulumi-python:dynamic:AccessToken::pr-14-token"
                ),
                "custom": True,
                "id": "3c1b5e7a9d2f4b6c",
                "type": "pulumi-python:dynamic:AccessToken",
                "outputs": {
                    "value": {
                        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                        "ciphertext": "v1:abc",
                    }
                },
            },
            {
                "urn": (
                    "urn:pulumi:pr-14::stagefleet::stagefleet:index:StagingEnvironment"
                    "$pulumi-python:dynamic/railway:Environment::pr-14-environment"
                ),
                "custom": True,
                "id": "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
                "type": "pulumi-python:dynamic/railway:Environment",
                "delete": True,
                "outputs": {"name": "pr-14", "project_id": "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01"},
            },
        ],
        "pending_operations": [],
    },
}


def test_a_real_export_gives_its_stack_and_the_ids_it_owns_by_type():
    state = orphans.parse_stack_export(EXPORT, "pr-14.json")

    assert state.stack == "pr-14"
    assert state.resources == (
        OwnedResource("pr-14", "railway-environment", "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "pr-14"),
        OwnedResource("pr-14", "supabase-branch", "b7a1c9e2-0d4f-4a6b-8c2e-3f5a7b9d1e20", "gatewayz-pr-14"),
        # Replaced, waiting for its delete: still the stack's (the engine deletes it).
        OwnedResource("pr-14", "railway-environment", "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", "pr-14"),
    )


def test_an_export_of_a_stack_without_resources_owns_nothing():
    empty = {"version": 3, "deployment": {"manifest": {"time": "2027-01-10T16:40:52Z", "magic": "", "version": "v3"}}}

    assert orphans.parse_stack_export(empty) == orphans.StackState(stack=None, resources=())


def test_a_name_kept_secret_is_no_name():
    document = json.loads(json.dumps(EXPORT))
    resource = document["deployment"]["resources"][3]
    resource["outputs"]["name"] = resource["inputs"]["name"] = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "ciphertext": "v1:x",
    }

    assert orphans.parse_stack_export(document).resources[0].name is None


def test_the_owners_are_every_export_and_every_listed_stack():
    staging = orphans.StackState("staging", (OwnedResource("staging", "statsig-gate", "payments-v2", "payments-v2"),))
    pr14 = orphans.parse_stack_export(EXPORT)

    owners = orphans.owners_of([staging, pr14, orphans.StackState(None, ())], ["organization/stagefleet/pr-15"])

    assert owners.stacks == {"staging", "pr-14", "pr-15"}
    assert owners.owns("statsig-gate", "payments-v2") and not owners.owns("railway-environment", "payments-v2")
    assert owners.ids("railway-environment") == [
        "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
    ]
    assert [r.id for r in owners.named("supabase-branch", "gatewayz-pr-14")] == ["b7a1c9e2-0d4f-4a6b-8c2e-3f5a7b9d1e20"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "state.json: expected the JSON object `pulumi stack export` prints, got a list"),
        ({"version": 3}, 'state.json: no "deployment" object: not the output of `pulumi stack export`'),
        ({"deployment": {"resources": {}}}, 'state.json: "deployment.resources" must be a list, got an object'),
        ({"deployment": {"resources": ["x"]}}, "state.json: resource 0: expected an object, got a string"),
        (
            {"deployment": {"resources": [{"urn": "pr-14", "type": "t"}]}},
            'state.json: resource 0: "urn" must be a Pulumi URN (urn:pulumi:<stack>::<project>::...)',
        ),
        (
            {
                "deployment": {
                    "resources": [{"urn": "urn:pulumi:pr-1::p::t::n", "type": "pulumi-python:dynamic/statsig:Gate"}]
                }
            },
            'state.json: resource 0 (urn:pulumi:pr-1::p::t::n): "id" must be a non-empty string',
        ),
        (
            {
                "deployment": {
                    "resources": [
                        {"urn": "urn:pulumi:pr-1::p::t::n", "type": "t"},
                        {"urn": "urn:pulumi:pr-2::p::t::n", "type": "t"},
                    ]
                }
            },
            "state.json: resources of more than one stack (pr-1, pr-2): one export per file",
        ),
    ],
)
def test_what_is_not_an_export_is_refused_saying_why(document, message):
    with pytest.raises(JanitorInputError) as error:
        orphans.parse_stack_export(document, "state.json")

    assert str(error.value) == message


# --- from files, or through the pulumi CLI -------------------------------------------------------


def test_state_files_are_read_and_a_missing_one_is_a_usage_error(tmp_path):
    path = tmp_path / "pr-14.json"
    path.write_text(json.dumps(EXPORT), encoding="utf-8")

    assert read_owners([path]).stacks == {"pr-14"}
    with pytest.raises(OrphansInputError, match="nope.json: no such file"):
        read_owners([path, tmp_path / "nope.json"])


def fake_pulumi(directory: Path, stacks: list[dict], exports: dict[str, dict], fail: str | None = None) -> Path:
    """A `pulumi` that answers `stack ls --json` and `stack export --stack NAME` from canned JSON,
    and logs its arguments."""
    (directory / "answers.json").write_text(json.dumps({"stacks": stacks, "exports": exports, "fail": fail}))
    script = directory / "pulumi"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, pathlib, sys\n"
        "here = pathlib.Path(__file__).parent\n"
        "answers = json.loads((here / 'answers.json').read_text())\n"
        "with open(here / 'calls.log', 'a') as log: log.write(' '.join(sys.argv[1:]) + '\\n')\n"
        "if sys.argv[1:3] == ['stack', 'ls']: print(json.dumps(answers['stacks'])); sys.exit(0)\n"
        "name = sys.argv[-1]\n"
        "if name == answers['fail']: print('error: no stack named ' + name, file=sys.stderr); sys.exit(255)\n"
        "print(json.dumps(answers['exports'][name]))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_without_state_files_every_stack_the_cli_lists_is_exported(tmp_path):
    staging = {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": "urn:pulumi:staging::stagefleet::pulumi-python:dynamic/statsig:Gate::flag-payments-v2",
                    "type": "pulumi-python:dynamic/statsig:Gate",
                    "id": "payments-v2",
                    "outputs": {"name": "payments-v2"},
                },
            ]
        },
    }
    stacks = [
        {"name": "staging", "current": True, "lastUpdate": "2027-01-10T16:40:52.000Z", "resourceCount": 41},
        {"name": "organization/stagefleet/pr-14", "current": False, "resourceCount": 9},
        {"name": "pr-15", "current": False, "resourceCount": 0},
    ]
    pulumi = fake_pulumi(
        tmp_path,
        stacks,
        {
            "staging": staging,
            "organization/stagefleet/pr-14": EXPORT,
            "pr-15": {"version": 3, "deployment": {}},
        },
    )

    owners = read_owners([], pulumi=str(pulumi))

    assert owners.stacks == {"staging", "pr-14", "pr-15"}
    assert owners.owns("statsig-gate", "payments-v2")
    assert owners.owns("supabase-branch", "b7a1c9e2-0d4f-4a6b-8c2e-3f5a7b9d1e20")
    assert (tmp_path / "calls.log").read_text().splitlines() == [
        "stack ls --json",
        "stack export --stack staging",
        "stack export --stack organization/stagefleet/pr-14",
        "stack export --stack pr-15",
    ]


def test_a_stack_the_cli_cannot_export_is_a_usage_error_and_nothing_is_listed(tmp_path):
    pulumi = fake_pulumi(tmp_path, [{"name": "staging"}, {"name": "pr-14"}], {"staging": EXPORT}, fail="pr-14")

    with pytest.raises(OrphansInputError) as error:
        read_owners([], pulumi=str(pulumi))

    assert str(error.value) == "`pulumi stack export --stack pr-14` failed: error: no stack named pr-14"


def test_without_state_files_or_the_pulumi_cli_it_says_what_to_pass(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(OrphansInputError) as error:
        read_owners([])

    assert str(error.value) == (
        "the pulumi CLI is not on PATH: pass --state FILE for every stack of the project, each the output of "
        "`pulumi stack export --stack NAME`"
    )
