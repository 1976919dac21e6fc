"""A Supabase project: an environment's own database, auth and REST API.

Creating one returns as soon as Supabase accepts it (status COMING_UP): waiting here for the
minutes a project needs would hold one of the provider host's 4 worker threads and serialise a
fleet. `ProjectKeys` (providers/supabase/project_keys.py) does the waiting, so creates overlap.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from providers.resource import Choice, DeclarativeProvider, Schema, Text, args_to_props
from providers.supabase.client import INSTANCE_SIZES, SupabaseClient, api_url_for, db_host_for

__all__ = ["Project", "ProjectArgs", "ProjectProvider", "project_outputs", "refreshed_status"]


@dataclass
class ProjectArgs:
    name: pulumi.Input[str]
    organization_slug: pulumi.Input[str]
    # None lets Supabase choose; the choice is then recorded and a later region replaces.
    region: pulumi.Input[str] | None
    # None: the provider generates one at create and keeps it (output `database_password`), so a
    # project waits for no other resource before it can be requested.
    db_pass: pulumi.Input[str] | None = None
    # Record-only after creation: a change is stored, the project is not resized (see update).
    instance_size: pulumi.Input[str] | None = None


# Coming up and healthy are one expected lifecycle: ProjectKeys waits for the step between them in
# the same `pulumi up`. A refresh that sees a project move along it reports no drift, so
# `pulumi refresh --expect-no-changes` passes right after `pulumi up`; any other status (paused,
# failed, restoring...) is reported as it is.
_EXPECTED_LIFECYCLE = frozenset({"COMING_UP", "ACTIVE_HEALTHY"})


def refreshed_status(recorded: str | None, live: str) -> str:
    if recorded in _EXPECTED_LIFECYCLE and live in _EXPECTED_LIFECYCLE:
        return recorded
    return live


def generated_password() -> str:
    # URL-safe, so the connection string needs no escaping; 32 bytes of entropy.
    return secrets.token_urlsafe(32)


def project_outputs(ref: str, status: str | None) -> dict[str, Any]:
    return {"ref": ref, "api_url": api_url_for(ref), "db_host": db_host_for(ref), "status": status}


class ProjectProvider(DeclarativeProvider):
    schema = Schema(
        Text("name"),
        Text("organization_slug", replaces=True),
        Text("region", required=False, replaces=True),
        Text("db_pass", required=False),
        Choice("instance_size", required=False, choices=INSTANCE_SIZES),
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        password = inputs["db_pass"] or generated_password()
        with SupabaseClient.from_settings() as supabase:
            project = supabase.create_project(
                name=inputs["name"],
                organization_slug=inputs["organization_slug"],
                region=inputs["region"],
                db_pass=password,
                instance_size=inputs["instance_size"],
            )
        outputs = {**inputs, **project_outputs(project.ref, project.status), "database_password": password}
        return CreateResult(project.ref, outputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with SupabaseClient.from_settings() as supabase:
            project = supabase.get_project(id_)
        if project is None or project.status in ("REMOVED", "GOING_DOWN"):
            return ReadResult(None, {})
        # Name and status are live (status along the expected lifecycle, see refreshed_status);
        # the recorded organization and region stand (the API may spell them differently) and
        # only fill in from Supabase for `pulumi import`.
        return ReadResult(
            id_,
            {
                "name": project.name,
                "organization_slug": props.get("organization_slug") or project.organization_slug,
                # A region left to Supabase stays unset, or the next diff would replace the project.
                "region": props.get("region", project.region),
                "db_pass": props.get("db_pass"),
                "database_password": props.get("database_password"),
                "instance_size": props.get("instance_size"),
                **project_outputs(id_, refreshed_status(props.get("status"), project.status)),
            },
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.schema.inputs(news)
        renamed = olds.get("name") != inputs["name"]
        # A password given in config wins; otherwise the generated one stays.
        password = inputs["db_pass"] or olds.get("database_password") or generated_password()
        new_password = olds.get("database_password") != password
        if renamed or new_password:
            with SupabaseClient.from_settings() as supabase:
                if renamed:
                    supabase.rename_project(id_, inputs["name"])
                if new_password:
                    supabase.update_database_password(id_, password, label=inputs["name"])
        # instance_size is recorded only: resizing a running database is a billing change (and
        # a restart) that should not ride along with a config edit.
        return UpdateResult({**inputs, **project_outputs(id_, olds.get("status")), "database_password": password})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        with SupabaseClient.from_settings() as supabase:
            supabase.delete_project(id_)


class Project(Resource, module="supabase", name="Project"):
    """pulumi-python:dynamic/supabase:Project, id = project ref. Outputs `ref`, `api_url`
    ("https://<ref>.supabase.co"), `db_host` ("db.<ref>.supabase.co") and `status` (as of the
    create, then of the last refresh that found the project off its expected COMING_UP ->
    ACTIVE_HEALTHY lifecycle, e.g. INACTIVE when paused); `database_password` (the given `db_pass`, or
    one generated at create) and `db_pass` are secret outputs. A new organization or region replaces
    the project; a rename or a new password is an update. Returns before the project is healthy:
    pair it with ProjectKeys, which waits."""

    name: pulumi.Output[str]
    organization_slug: pulumi.Output[str]
    region: pulumi.Output[str | None]
    db_pass: pulumi.Output[str | None]
    database_password: pulumi.Output[str]
    instance_size: pulumi.Output[str | None]
    ref: pulumi.Output[str]
    api_url: pulumi.Output[str]
    db_host: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(self, resource_name: str, args: ProjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["db_pass", "database_password"])
        )
        super().__init__(
            ProjectProvider(),
            resource_name,
            args_to_props(args, ref=None, api_url=None, db_host=None, status=None, database_password=None),
            opts,
        )
