"""What holds for every Supabase provider: preview makes no API call and needs no token, the
pickled provider carries nothing, and secrets (token, database passwords, keys, connection
strings) stay out of errors, logs and non-secret outputs."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from providers import settings
from providers.api import AuthError
from providers.settings import SettingsError
from providers.supabase.branch import Branch, BranchArgs, BranchProvider
from providers.supabase.client import ProjectFailedToStart, ReadinessDeadlineExceeded
from providers.supabase.project import Project, ProjectArgs, ProjectProvider
from providers.supabase.project_keys import ProjectKeys, ProjectKeysArgs, ProjectKeysProvider
from tests.providers.supabase.conftest import DB_PASS, TOKEN, Supabase

REF = "abcdefghijklmnopqrst"


@dataclass(frozen=True)
class Sample:
    """A provider with old state and new inputs that differ (so diff has work to do)."""

    provider: type[ResourceProvider]
    olds: dict[str, Any]
    news: dict[str, Any]


SAMPLES = {
    "Project": Sample(
        ProjectProvider,
        {
            "name": "a",
            "organization_slug": "o",
            "region": "us-east-1",
            "db_pass": DB_PASS,
            "instance_size": None,
            "ref": REF,
            "api_url": "u",
            "db_host": "h",
            "status": "ACTIVE_HEALTHY",
        },
        {"name": "b", "organization_slug": "o", "region": Unknown(), "db_pass": Unknown()},
    ),
    "ProjectKeys": Sample(
        ProjectKeysProvider,
        {
            "project_ref": REF,
            "label": "a",
            "db_pass": DB_PASS,
            "db_host": "h",
            "kind": "project",
            "branch_id": None,
            "deadline_seconds": 600.0,
            "anon_key": "k1",
            "service_role_key": "k2",
            "connection_string": "c",
        },
        {"project_ref": Unknown(), "label": "a", "db_pass": Unknown(), "db_host": Unknown(), "deadline_seconds": 600.0},
    ),
    "Branch": Sample(
        BranchProvider,
        {
            "parent_ref": REF,
            "name": "pr-1",
            "git_branch": "a",
            "with_data": False,
            "branch_id": "b",
            "ref": "r",
            "api_url": "u",
        },
        {"parent_ref": REF, "name": "pr-1", "git_branch": Unknown(), "with_data": False},
    ),
}


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_check_makes_no_request(supabase: Supabase, sample: Sample) -> None:
    provider = supabase.configure(sample.provider())
    assert provider.check(sample.olds, sample.news).failures == []
    assert provider.check({}, provider.schema.inputs(sample.olds)).failures == []
    assert supabase.sandbox.journal_count() == 0


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_diff_makes_no_request(supabase: Supabase, sample: Sample) -> None:
    provider = supabase.configure(sample.provider())
    news = provider.check(sample.olds, sample.news).inputs
    assert provider.diff("id-1", sample.olds, news).changes is True
    assert provider.diff("id-1", sample.olds, provider.schema.inputs(sample.olds)).changes is False
    assert supabase.sandbox.journal_count() == 0


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_check_and_diff_need_no_credentials(sample: Sample) -> None:
    provider = sample.provider()
    news = provider.check(sample.olds, sample.news).inputs
    assert provider.diff("id-1", sample.olds, news).changes is True


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_the_pickled_provider_carries_no_token_and_no_state(supabase: Supabase, sample: Sample) -> None:
    provider = supabase.configure(sample.provider())
    provider.check(sample.olds, sample.news)
    pickled = base64.b64decode(serialize_provider(provider))
    assert TOKEN.encode() not in pickled and supabase.sandbox.url.encode() not in pickled
    assert vars(provider) == {}
    assert type(dill.loads(pickled)) is sample.provider


def test_an_api_call_without_a_token_names_the_stack_config_key_and_the_environment_variable(
    supabase: Supabase,
) -> None:
    with pytest.raises(SettingsError) as caught:
        ProjectProvider().create(supabase.project_inputs())
    assert "stagefleet:supabaseAccessToken" in str(caught.value) and "SUPABASE_ACCESS_TOKEN" in str(caught.value)


def test_an_unknown_token_is_an_auth_error_that_does_not_repeat_it(supabase: Supabase) -> None:
    wrong = "sbp_wrong_token_e3e3e3"
    settings.configure({"stagefleet:supabaseAccessToken": wrong, "stagefleet:supabaseApiUrl": supabase.sandbox.url})
    with pytest.raises(AuthError) as caught:
        ProjectProvider().create(supabase.project_inputs())
    assert wrong not in str(caught.value) and "Unauthorized" in str(caught.value)
    assert "stagefleet:supabaseAccessToken" in str(caught.value)


def lifecycle(supabase: Supabase) -> list[str]:
    """Create, update, read and delete a project, its keys, a branch and the branch's keys; the
    secrets that went by."""
    projects = supabase.configure(ProjectProvider())
    keys = supabase.configure(ProjectKeysProvider())
    branches = supabase.configure(BranchProvider())
    project = projects.create(supabase.project_inputs())
    project_keys = keys.create(supabase.keys_inputs(project.outs))
    projects.update(project.id, project.outs, supabase.project_inputs(db_pass="rotated-pass-4242", name="renamed"))
    projects.read(project.id, project.outs)
    keys.read(project_keys.id, project_keys.outs)
    branch = branches.create(supabase.branch_inputs(project.id))
    branch_keys = keys.create(
        keys.check(
            {}, {"project_ref": branch.outs["ref"], "label": "pr", "kind": "branch", "branch_id": branch.id}
        ).inputs
    )
    keys.read(branch_keys.id, branch_keys.outs)
    branches.read(branch.id, branch.outs)
    branches.delete(branch.id, branch.outs)
    projects.delete(project.id, project.outs)
    return [
        TOKEN,
        DB_PASS,
        "rotated-pass-4242",
        *(project_keys.outs[name] for name in ("anon_key", "service_role_key", "connection_string")),
        *(branch_keys.outs[name] for name in ("anon_key", "service_role_key", "connection_string")),
        branch_keys.outs["connection_string"].split(":")[2].split("@")[0],  # the branch's own password
    ]


def test_no_secret_is_logged_during_a_whole_lifecycle(supabase: Supabase, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        secrets = lifecycle(supabase)
    assert caplog.records, "the lifecycle should have logged something (httpx logs every request)"
    logged = caplog.text
    assert [secret for secret in secrets if secret in logged] == []


def test_failures_while_waiting_name_the_project_but_no_secret(private_supabase: Supabase) -> None:
    supabase = private_supabase
    keys = supabase.configure(ProjectKeysProvider())
    supabase.sandbox.fail_next_projects(1)
    _, failing = supabase.create_project(name="failing")
    with pytest.raises(ProjectFailedToStart) as failed:
        keys.create(supabase.keys_inputs(failing))
    supabase.sandbox.healthy_after = 30.0
    _, slow = supabase.create_project(name="slow")
    with pytest.raises(ReadinessDeadlineExceeded) as late:
        keys.create(supabase.keys_inputs(slow, deadline_seconds=0.2))
    for error in (failed.value, late.value):
        assert DB_PASS not in str(error) and TOKEN not in str(error) and "postgresql://" not in str(error)
        assert error.__cause__ is None


RESOURCES = {
    "Project": (ProjectProvider, ["database_password", "db_pass"]),
    "ProjectKeys": (ProjectKeysProvider, ["anon_key", "connection_string", "db_pass", "service_role_key"]),
    "Branch": (BranchProvider, []),
}


def test_outputs_that_are_not_declared_secret_hold_no_secret(supabase: Supabase) -> None:
    projects = supabase.configure(ProjectProvider())
    keys = supabase.configure(ProjectKeysProvider())
    branches = supabase.configure(BranchProvider())
    project = projects.create(supabase.project_inputs())
    project_keys = keys.create(supabase.keys_inputs(project.outs))
    branch = branches.create(supabase.branch_inputs(project.id))
    branch_keys = keys.create(
        keys.check(
            {}, {"project_ref": branch.outs["ref"], "label": "pr", "kind": "branch", "branch_id": branch.id}
        ).inputs
    )
    secrets = [DB_PASS, TOKEN] + [
        outs[name]
        for outs in (project_keys.outs, branch_keys.outs)
        for name in ("anon_key", "service_role_key", "connection_string")
    ]
    for kind, outs in (
        ("Project", project.outs),
        ("ProjectKeys", project_keys.outs),
        ("Branch", branch.outs),
        ("ProjectKeys", branch_keys.outs),
    ):
        declared = RESOURCES[kind][1]
        plain = {name: value for name, value in outs.items() if name not in declared}
        assert [(kind, name) for name, value in plain.items() if any(s in str(value) for s in secrets)] == []


@dataclass
class Registration:
    type_token: str
    props: dict[str, Any]
    opts: pulumi.ResourceOptions


@pytest.fixture
def registrations(monkeypatch: pytest.MonkeyPatch) -> list[Registration]:
    """Capture what a dynamic Resource hands to CustomResource, without an engine."""
    captured: list[Registration] = []

    def register(self: Any, t: str, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions, *_: Any) -> None:
        captured.append(Registration(t, props, opts))

    monkeypatch.setattr(pulumi.CustomResource, "__init__", register)
    return captured


def test_resources_register_their_type_tokens_inputs_and_secret_outputs(registrations: list[Registration]) -> None:
    Project("db", ProjectArgs(name="n", organization_slug="o", region="us-east-1", db_pass="p", instance_size="micro"))
    ProjectKeys("keys", ProjectKeysArgs(project_ref="r", label="n", db_pass="p", db_host="h"))
    Branch("branch", BranchArgs(parent_ref="r", name="pr-1", git_branch="feature/x"))
    summary = {
        reg.type_token: (
            sorted(key for key in reg.props if key != "__provider"),
            sorted((reg.opts.additional_secret_outputs or []) if reg.opts else []),
        )
        for reg in registrations
    }
    assert summary == {
        "pulumi-python:dynamic/supabase:Project": (
            [
                "api_url",
                "database_password",
                "db_host",
                "db_pass",
                "instance_size",
                "name",
                "organization_slug",
                "ref",
                "region",
                "status",
            ],
            ["database_password", "db_pass"],
        ),
        "pulumi-python:dynamic/supabase:ProjectKeys": (
            [
                "anon_key",
                "branch_id",
                "connection_string",
                "db_host",
                "db_pass",
                "deadline_seconds",
                "kind",
                "label",
                "project_ref",
                "service_role_key",
            ],
            ["anon_key", "connection_string", "db_pass", "service_role_key"],
        ),
        "pulumi-python:dynamic/supabase:Branch": (
            [
                "api_url",
                "branch_id",
                "git_branch",
                "instance_size",
                "name",
                "parent_ref",
                "persistent",
                "ref",
                "with_data",
            ],
            [],
        ),
    }
    for kind, (_, declared) in RESOURCES.items():
        assert sorted(summary[f"pulumi-python:dynamic/supabase:{kind}"][1]) == declared


def test_project_keys_defaults_are_the_briefs(registrations: list[Registration]) -> None:
    ProjectKeys("keys", ProjectKeysArgs(project_ref="r", label="n", db_pass="p", db_host="h"))
    [reg] = registrations
    assert (reg.props["kind"], reg.props["deadline_seconds"], reg.props["branch_id"]) == ("project", 600.0, None)
