"""A set of variables in one scope of a Railway environment: a service's, or the shared ones.

The resource owns only the names it was given. A fork copies the source's variables and people
add their own in the dashboard, so it never replaces the whole scope: it upserts its names and
deletes only names it used to manage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from providers.api import NotFound
from providers.railway.client import RailwayClient
from providers.resource import DeclarativeProvider, Schema, Text, TextMap, args_to_props

__all__ = ["Variables", "VariablesArgs", "VariablesProvider", "variables_id"]

SHARED_SCOPE = "shared"


@dataclass
class VariablesArgs:
    project_id: pulumi.Input[str]
    environment_id: pulumi.Input[str]
    # None: the environment's shared variables.
    service_id: pulumi.Input[str] | None
    variables: pulumi.Input[Mapping[str, pulumi.Input[str]]]


def variables_id(environment_id: str, service_id: str | None) -> str:
    return f"{environment_id}:{service_id or SHARED_SCOPE}"


class VariablesProvider(DeclarativeProvider):
    schema = Schema(
        Text("project_id"),
        Text("environment_id", replaces=True),
        Text("service_id", required=False, replaces=True),
        TextMap("variables"),
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        if inputs["variables"]:
            with RailwayClient.from_settings() as railway:
                railway.upsert_variables(**_scope(inputs), variables=inputs["variables"])
        return CreateResult(variables_id(inputs["environment_id"], inputs["service_id"]), inputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.schema.inputs(props)
        managed = inputs["variables"] or {}
        with RailwayClient.from_settings() as railway:
            try:
                live = railway.get_variables(**_scope(inputs))
            except NotFound:
                return ReadResult(None, {})
        # Names deleted by hand drop out, so the next update puts them back.
        return ReadResult(id_, {**inputs, "variables": {name: live[name] for name in managed if name in live}})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.schema.inputs(news)
        wanted: dict[str, str] = inputs["variables"]
        previous: dict[str, str] = olds.get("variables") or {}
        no_longer_managed = sorted(set(previous) - set(wanted))
        if wanted != previous:
            with RailwayClient.from_settings() as railway:
                if wanted:
                    railway.upsert_variables(**_scope(inputs), variables=wanted)
                for name in no_longer_managed:
                    railway.delete_variable(**_scope(inputs), name=name)
        return UpdateResult(inputs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        inputs = self.schema.inputs(props)
        with RailwayClient.from_settings() as railway:
            for name in sorted(inputs["variables"] or {}):
                try:
                    railway.delete_variable(**_scope(inputs), name=name)
                except NotFound:
                    return  # the environment (or service) is gone, and its variables with it


def _scope(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "project_id": inputs["project_id"],
        "environment_id": inputs["environment_id"],
        "service_id": inputs["service_id"],
    }


class Variables(Resource, module="railway", name="Variables"):
    """pulumi-python:dynamic/railway:Variables, id "<environment_id>:<service_id or shared>".
    `variables` is a secret output. A new environment or service replaces it."""

    project_id: pulumi.Output[str]
    environment_id: pulumi.Output[str]
    service_id: pulumi.Output[str | None]
    variables: pulumi.Output[dict[str, str]]

    def __init__(self, resource_name: str, args: VariablesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["variables"]))
        super().__init__(VariablesProvider(), resource_name, args_to_props(args), opts)
