"""A Railway environment forked from a source environment (its services, variables and deploy
triggers), created without deploying so the rest of the stack can set it up first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult
from pulumi.output import Unknown

from providers.railway import forks
from providers.railway.client import RailwayClient
from providers.resource import DeclarativeProvider, Flag, Schema, Text, args_to_props

__all__ = ["Environment", "EnvironmentArgs", "EnvironmentProvider"]


@dataclass
class EnvironmentArgs:
    project_id: pulumi.Input[str]
    name: pulumi.Input[str]
    source_environment_id: pulumi.Input[str] | None
    ephemeral: pulumi.Input[bool] = False


def _keeps_its_name(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    # Names are unique within a project: a replacement that keeps the name must delete the old
    # environment before creating the new one. An unknown value may turn out the same.
    return all(isinstance(news.get(key), Unknown) or olds.get(key) == news.get(key) for key in ("project_id", "name"))


class EnvironmentProvider(DeclarativeProvider):
    schema = Schema(
        Text("project_id", replaces=True),
        Text("name"),
        Text("source_environment_id", required=False, replaces=True),
        Flag("ephemeral", required=False, default=False, replaces=True),
        delete_before_replace=_keeps_its_name,
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        with RailwayClient.from_settings() as railway:
            environment = railway.create_environment(
                project_id=inputs["project_id"],
                name=inputs["name"],
                source_environment_id=inputs["source_environment_id"],
                ephemeral=inputs["ephemeral"],
            )
        if environment.triggers is not None:
            forks.record(environment.id, environment.triggers)
        return CreateResult(environment.id, {**inputs, "environment_id": environment.id})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with RailwayClient.from_settings() as railway:
            environment = railway.get_environment(id_)
        if environment is None:
            return ReadResult(None, {})
        # Only the name is refreshed: Railway forgets the source once it is deleted, and that must
        # not turn into a replacement. The rest falls back to live values for `pulumi import`.
        return ReadResult(
            id_,
            {
                "project_id": props.get("project_id") or environment.project_id,
                "name": environment.name,
                "source_environment_id": props.get("source_environment_id", environment.source_environment_id),
                "ephemeral": props.get("ephemeral", environment.is_ephemeral),
                "environment_id": environment.id,
            },
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.schema.inputs(news)
        if olds.get("name") != inputs["name"]:
            with RailwayClient.from_settings() as railway:
                railway.rename_environment(id_, inputs["name"])
        return UpdateResult({**inputs, "environment_id": id_})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        forks.forget(id_)
        with RailwayClient.from_settings() as railway:
            railway.delete_environment(id_)


class Environment(Resource, module="railway", name="Environment"):
    """pulumi-python:dynamic/railway:Environment. A rename is an update; a new project, source or
    ephemeral flag replaces the environment."""

    project_id: pulumi.Output[str]
    name: pulumi.Output[str]
    source_environment_id: pulumi.Output[str | None]
    ephemeral: pulumi.Output[bool]
    environment_id: pulumi.Output[str]

    def __init__(self, resource_name: str, args: EnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(EnvironmentProvider(), resource_name, args_to_props(args, environment_id=None), opts)
